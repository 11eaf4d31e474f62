// Host names met while parsing, and what the host's resolver answered for each.
// The engine does no DNS itself: the host resolves between sv_parse and sv_finalize.
import { fits } from "./budget";

export const REASON_NONE: u32 = 0;
export const REASON_NOT_FOUND: u32 = 1;
export const REASON_TEMPORARY: u32 = 2;
export const REASON_OTHER: u32 = 3;

// Addresses kept per name: plenty for any real name, and it keeps the duplicate check
// of each answer short whatever a resolver returns.
export const MAX_ADDRESSES: i32 = 256;
const ANSWER_COST: u64 = 64; // 20 bytes of answer, and the array's growth

export class Name {
  ptr: usize; // the name's bytes in the input area: valid until sv_finalize only
  len: i32;
  text: string;
  // resolved addresses: family, then four big-endian words, per address
  answers: Array<u32> = new Array<u32>();
  reason: u32 = REASON_NONE;
  dropped: u32 = 0; // answers beyond MAX_ADDRESSES (or beyond the engine's memory)

  constructor(ptr: usize, len: i32) {
    this.ptr = ptr;
    this.len = len;
    this.text = String.UTF8.decodeUnsafe(ptr, len); // host names are ASCII (isHostName)
  }

  count(): i32 { return this.answers.length / 5; }
  family(i: i32): u32 { return unchecked(this.answers[i * 5]); }
  word(i: i32, w: i32): u32 { return unchecked(this.answers[i * 5 + 1 + w]); }

  add(family: u32, a0: u32, a1: u32, a2: u32, a3: u32): void {
    const n = this.count();
    for (let i = 0; i < n; i++) {
      if (this.family(i) == family && this.word(i, 0) == a0 && this.word(i, 1) == a1 &&
          this.word(i, 2) == a2 && this.word(i, 3) == a3) return;
    }
    if (n >= MAX_ADDRESSES || !fits(ANSWER_COST)) {
      this.dropped++;
      return;
    }
    this.answers.push(family);
    this.answers.push(a0); this.answers.push(a1); this.answers.push(a2); this.answers.push(a3);
  }

  hasFamily(family: u32): bool {
    const n = this.count();
    for (let i = 0; i < n; i++) if (this.family(i) == family) return true;
    return false;
  }

  whyUnresolved(): string {
    if (this.reason == REASON_TEMPORARY) return "a temporary DNS failure";
    if (this.reason == REASON_OTHER) return "a resolver error";
    return "no such name";
  }
}

export const names = new Array<Name>();

// Names by their bytes, ignoring ASCII case as DNS does: open addressing over name index
// + 1 (0 = empty), at most half full. Looking a name up allocates nothing, so a name
// written on many lines costs its memory once.
let slots: usize = 0;
let capacity: u32 = 0;

@inline function lower(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c;
}

function hashOf(ptr: usize, len: i32): u32 {
  let h: u32 = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < len; i++) h = (h ^ lower(load<u8>(ptr + i))) * 0x01000193;
  return h;
}

function sameName(name: Name, ptr: usize, len: i32): bool {
  if (name.len != len) return false;
  for (let i = 0; i < len; i++) {
    if (lower(load<u8>(name.ptr + i)) != lower(load<u8>(ptr + i))) return false;
  }
  return true;
}

// The slot of the name, or of the empty place where it would go.
function slotOf(ptr: usize, len: i32): usize {
  const mask = capacity - 1;
  let i = hashOf(ptr, len) & mask;
  while (true) {
    const s = slots + (<usize>i << 2);
    const v = load<u32>(s);
    if (!v || sameName(unchecked(names[v - 1]), ptr, len)) return s;
    i = (i + 1) & mask;
  }
}

function rehash(newCapacity: u32): void {
  slots = heap.alloc(<usize>newCapacity << 2);
  memory.fill(slots, 0, <usize>newCapacity << 2);
  capacity = newCapacity;
  for (let i = 0; i < names.length; i++) {
    const name = unchecked(names[i]);
    store<u32>(slotOf(name.ptr, name.len), <u32>i + 1);
  }
}

// Index of the name, adding it on first sight.
export function internName(ptr: usize, len: i32): i32 {
  if (<u32>(names.length + 1) * 2 > capacity) rehash(capacity ? capacity * 2 : 64);
  const s = slotOf(ptr, len);
  const v = load<u32>(s);
  if (v) return <i32>v - 1;
  const i = names.length;
  names.push(new Name(ptr, len));
  store<u32>(s, <u32>i + 1);
  return i;
}
