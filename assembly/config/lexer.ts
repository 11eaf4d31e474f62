// Splits the configuration text into lines and blank-separated tokens, in place: a token
// is an offset and a length into the input, so nothing is copied.
import { quote } from "./quote";

export const MAX_LINE: i32 = 65535;
export const MAX_TOKENS: i32 = 4096;

@inline function isBlank(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0b || c == 0x0c;
}

export class Lexer {
  pos: usize;
  end: usize;
  line: u32 = 0;
  lineStart: usize = 0;
  lineEnd: usize = 0;
  // tokens of the current line
  count: i32 = 0;
  starts: StaticArray<u32> = new StaticArray<u32>(MAX_TOKENS);
  lens: StaticArray<u32> = new StaticArray<u32>(MAX_TOKENS);
  tooManyTokens: bool = false;

  constructor(base: usize, len: u32) {
    this.pos = base;
    this.end = base + len;
    // A UTF-8 byte-order mark, as some editors write, is not part of the first line.
    if (len >= 3 && load<u8>(base) == 0xef && load<u8>(base + 1) == 0xbb && load<u8>(base + 2) == 0xbf) {
      this.pos += 3;
    }
  }

  // Advances to the next line; false at the end of the input.
  nextLine(): bool {
    if (this.pos >= this.end) return false;
    this.line++;
    this.lineStart = this.pos;
    let p = this.pos;
    while (p < this.end && load<u8>(p) != 0x0a) p++;
    this.lineEnd = p;
    this.pos = p < this.end ? p + 1 : p;
    this.split();
    return true;
  }

  lineLength(): i32 {
    return <i32>(this.lineEnd - this.lineStart);
  }

  // Tokens up to a comment: a token that starts with '#' ends the line.
  private split(): void {
    this.count = 0;
    this.tooManyTokens = false;
    let p = this.lineStart;
    const end = this.lineEnd;
    while (p < end) {
      while (p < end && isBlank(load<u8>(p))) p++;
      if (p >= end || load<u8>(p) == 0x23) break;
      const start = p;
      while (p < end && !isBlank(load<u8>(p))) p++;
      if (this.count == MAX_TOKENS) { this.tooManyTokens = true; break; }
      unchecked(this.starts[this.count] = <u32>start);
      unchecked(this.lens[this.count] = <u32>(p - start));
      this.count++;
    }
  }

  start(i: i32): usize { return <usize>unchecked(this.starts[i]); }
  len(i: i32): i32 { return <i32>unchecked(this.lens[i]); }
  column(i: i32): u32 { return <u32>(this.start(i) - this.lineStart) + 1; }
  // token i as message text: escaped and cut short (config/quote.ts)
  text(i: i32): string { return quote(this.start(i), this.len(i)); }
}

// Byte-wise comparison of a token with an ASCII word, ignoring case.
export function tokenIs(p: usize, len: i32, word: string): bool {
  if (len != word.length) return false;
  for (let i = 0; i < len; i++) {
    if ((<u32>load<u8>(p + i) | 0x20) != (<u32>word.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

// A decimal number of at most `maxDigits` digits, or -1.
export function parseDecimal(p: usize, len: i32, maxDigits: i32): i32 {
  if (len == 0 || len > maxDigits) return -1;
  let v = 0;
  for (let i = 0; i < len; i++) {
    const c = <i32>load<u8>(p + i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

// A host name as DNS allows it (letters, digits, '-', '_', dots; labels of 1-63 bytes).
export function isHostName(p: usize, len: i32): bool {
  if (len == 0 || len > 253) return false;
  let label = 0;
  let letters = false;
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x2e) {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const lower = c | 0x20;
    const isLetter = lower >= 0x61 && lower <= 0x7a;
    const isDigit = c >= 0x30 && c <= 0x39;
    if (!isLetter && !isDigit && c != 0x2d && c != 0x5f) return false;
    if (isLetter || c == 0x2d || c == 0x5f) letters = true;
    if (++label > 63) return false;
  }
  // all-numeric names such as "10.0.0.300" are broken addresses, not host names
  return letters;
}
