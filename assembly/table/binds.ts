// `.INADDR_ANY` statements of one family, in file order: the last one whose port range
// holds the port wins, which is how "every port except 512-1023" is written.
import { R_PORT_HI, R_PORT_LO, rulePtr, rulePtrBuilding } from "./rules";

export class BindList {
  ids: Array<u32> = new Array<u32>();

  // Room for `n` statements, so that adding them copies nothing.
  reserve(n: i32): void {
    if (n <= this.ids.length) return;
    const ids = new Array<u32>(n);
    ids.length = 0;
    this.ids = ids;
  }

  add(rule: u32): void {
    this.ids.push(rule);
  }

  find(port: u32): i32 {
    const ids = this.ids;
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = unchecked(ids[i]);
      const r = rulePtr(id);
      if (port >= load<u32>(r + R_PORT_LO) && port <= load<u32>(r + R_PORT_HI)) return <i32>id;
    }
    return -1;
  }

  // The statements whose every port is held by later statements (so they never win), in
  // file order. Walks from the last statement back, keeping for each port the next one not
  // yet held (path-halving union-find): linear in statements and ports.
  shadowed(): Array<u32> {
    const found = new Array<u32>();
    const ids = this.ids;
    if (ids.length < 2) return found;
    const next = heap.alloc(65537 << 2);
    for (let p: u32 = 0; p <= 65536; p++) store<u32>(next + (<usize>p << 2), p);
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = unchecked(ids[i]);
      const r = rulePtrBuilding(id);
      const lo = load<u32>(r + R_PORT_LO), hi = load<u32>(r + R_PORT_HI);
      let free = freePort(next, lo);
      if (free > hi) {
        found.push(id);
        continue;
      }
      while (free <= hi) {
        store<u32>(next + (<usize>free << 2), free + 1);
        free = freePort(next, free + 1);
      }
    }
    heap.free(next);
    return found.reverse();
  }
}

// The first port from `p` on that no later statement holds (65536 if none).
function freePort(next: usize, p: u32): u32 {
  while (true) {
    const n = load<u32>(next + (<usize>p << 2));
    if (n == p) return p;
    const nn = load<u32>(next + (<usize>n << 2));
    store<u32>(next + (<usize>p << 2), nn);
    p = nn;
  }
}

export const binds4 = new BindList();
export const binds6 = new BindList();
