// Host names met while parsing, and what the host's resolver answered for each.
// The engine does no DNS itself: the host resolves between sv_parse and sv_finalize.

export const REASON_NONE: u32 = 0;
export const REASON_NOT_FOUND: u32 = 1;
export const REASON_TEMPORARY: u32 = 2;
export const REASON_OTHER: u32 = 3;

export class Name {
  ptr: usize;
  len: i32;
  text: string;
  // resolved addresses: family, then four big-endian words, per address
  answers: Array<u32> = new Array<u32>();
  reason: u32 = REASON_NONE;

  constructor(ptr: usize, len: i32, text: string) {
    this.ptr = ptr;
    this.len = len;
    this.text = text;
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
const byText = new Map<string, i32>();

// Index of the name, adding it on first sight (names compare case-insensitively, as DNS does).
export function internName(ptr: usize, len: i32): i32 {
  const text = String.UTF8.decodeUnsafe(ptr, len);
  const key = text.toLowerCase();
  if (byText.has(key)) return byText.get(key);
  const i = names.length;
  names.push(new Name(ptr, len, text));
  byText.set(key, i);
  return i;
}
