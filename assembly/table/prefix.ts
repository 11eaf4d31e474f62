// Longest-prefix match: one open-addressing hash table per family, keyed by
// (prefix length, masked network), probed from the longest prefix present to the shortest.
// With the handful of distinct prefix lengths real configurations have, a lookup is a few
// hash probes whatever the number of rules.

const ENTRY: u32 = 24; // k0 k1 k2 k3 (big-endian words), length, rule + 1 (0 = empty)

@inline function mix(k0: u32, k1: u32, k2: u32, k3: u32, len: u32): u32 {
  // IPv4 keys have k1..k3 = 0, so this equals the IPv4-only hash below.
  const x = k0 ^ rotl<u32>(k1, 7) ^ rotl<u32>(k2, 13) ^ rotl<u32>(k3, 19);
  return (x ^ (len * 0x85EBCA6B)) * 0x9E3779B1;
}

@inline export function maskWord(len: i32, word: i32): u32 {
  const bits = len - (word << 5);
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xFFFFFFFF;
  return ~(<u32>0xFFFFFFFF >>> bits);
}

export class PrefixTable {
  entries: usize = 0;
  shift: u32 = 32;    // 32 - log2(capacity)
  capacity: u32 = 0;
  size: u32 = 0;
  lengths: usize = 0; // distinct prefix lengths present, longest first (u8 each)
  lengthCount: i32 = 0;
  present: StaticArray<bool> = new StaticArray<bool>(129);

  // Sizes the table for `n` keys at most half full.
  reserve(n: u32): void {
    let capacity: u32 = 16;
    while (capacity < n * 2 && capacity < (1 << 30)) capacity <<= 1;
    if (capacity > this.capacity) this.rehash(capacity);
  }

  // Inserts or replaces; returns the rule the key had before plus one (0 if none).
  insert(k0: u32, k1: u32, k2: u32, k3: u32, len: u32, rule: u32): u32 {
    if ((this.size + 1) * 2 > this.capacity) this.rehash(this.capacity ? this.capacity * 2 : 16);
    const e = this.slot(k0, k1, k2, k3, len);
    const before = load<u32>(e + 20);
    if (!before) {
      store<u32>(e, k0); store<u32>(e + 4, k1); store<u32>(e + 8, k2); store<u32>(e + 12, k3);
      store<u32>(e + 16, len);
      this.size++;
    }
    store<u32>(e + 20, rule + 1);
    if (!unchecked(this.present[len])) {
      unchecked(this.present[len] = true);
      this.rebuildLengths();
    }
    return before;
  }

  // The rule stored for exactly this key plus one, or 0.
  find(k0: u32, k1: u32, k2: u32, k3: u32, len: u32): u32 {
    if (!this.capacity) return 0;
    return load<u32>(this.slot(k0, k1, k2, k3, len) + 20);
  }

  private slot(k0: u32, k1: u32, k2: u32, k3: u32, len: u32): usize {
    const mask = this.capacity - 1;
    let i = mix(k0, k1, k2, k3, len) >>> this.shift;
    while (true) {
      const e = this.entries + <usize>i * ENTRY;
      if (!load<u32>(e + 20)) return e;
      if (load<u32>(e) == k0 && load<u32>(e + 4) == k1 && load<u32>(e + 8) == k2 &&
          load<u32>(e + 12) == k3 && load<u32>(e + 16) == len) return e;
      i = (i + 1) & mask;
    }
  }

  private rehash(capacity: u32): void {
    const old = this.entries;
    const oldCapacity = this.capacity;
    this.entries = heap.alloc(<usize>capacity * ENTRY);
    memory.fill(this.entries, 0, <usize>capacity * ENTRY);
    this.capacity = capacity;
    this.shift = 32 - (31 - clz<u32>(capacity));
    this.size = 0;
    for (let i: u32 = 0; i < oldCapacity; i++) {
      const e = old + <usize>i * ENTRY;
      const rule = load<u32>(e + 20);
      if (!rule) continue;
      const k0 = load<u32>(e), k1 = load<u32>(e + 4), k2 = load<u32>(e + 8), k3 = load<u32>(e + 12);
      const len = load<u32>(e + 16);
      const n = this.slot(k0, k1, k2, k3, len);
      memory.copy(n, e, ENTRY);
      this.size++;
    }
    if (old) heap.free(old);
  }

  private rebuildLengths(): void {
    if (!this.lengths) this.lengths = heap.alloc(129);
    let n = 0;
    for (let len = 128; len >= 0; len--) {
      if (unchecked(this.present[len])) store<u8>(this.lengths + n++, <u8>len);
    }
    this.lengthCount = n;
  }

  // Longest-prefix match of an IPv4 address (a big-endian word); rule id or -1.
  lookup4(a: u32): i32 {
    const n = this.lengthCount;
    if (!n) return -1;
    const entries = this.entries;
    const mask = this.capacity - 1;
    const shift = this.shift;
    for (let j = 0; j < n; j++) {
      const len = <u32>load<u8>(this.lengths + j);
      const key = len ? a & (<u32>0xFFFFFFFF << (32 - len)) : 0;
      let i = ((key ^ (len * 0x85EBCA6B)) * 0x9E3779B1) >>> shift;
      while (true) {
        const e = entries + <usize>i * ENTRY;
        const rule = load<u32>(e + 20);
        if (!rule) break;
        if (load<u32>(e) == key && load<u32>(e + 16) == len) return <i32>rule - 1;
        i = (i + 1) & mask;
      }
    }
    return -1;
  }

  // Longest-prefix match of an IPv6 address (four big-endian words); rule id or -1.
  lookup6(a0: u32, a1: u32, a2: u32, a3: u32): i32 {
    const n = this.lengthCount;
    if (!n) return -1;
    const entries = this.entries;
    const mask = this.capacity - 1;
    for (let j = 0; j < n; j++) {
      const len = <u32>load<u8>(this.lengths + j);
      const k0 = a0 & maskWord(len, 0), k1 = a1 & maskWord(len, 1);
      const k2 = a2 & maskWord(len, 2), k3 = a3 & maskWord(len, 3);
      let i = mix(k0, k1, k2, k3, len) >>> this.shift;
      while (true) {
        const e = entries + <usize>i * ENTRY;
        const rule = load<u32>(e + 20);
        if (!rule) break;
        if (load<u32>(e) == k0 && load<u32>(e + 4) == k1 && load<u32>(e + 8) == k2 &&
            load<u32>(e + 12) == k3 && load<u32>(e + 16) == len) return <i32>rule - 1;
        i = (i + 1) & mask;
      }
    }
    return -1;
  }
}

export const prefixes4 = new PrefixTable();
export const prefixes6 = new PrefixTable();
