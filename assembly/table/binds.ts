// `.INADDR_ANY` statements of one family, in file order: the last one whose port range
// holds the port wins, which is how "every port except 512-1023" is written.
import { R_PORT_HI, R_PORT_LO, rulePtr } from "./rules";

export class BindList {
  ids: Array<u32> = new Array<u32>();

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
}

export const binds4 = new BindList();
export const binds6 = new BindList();
