// Text of the configuration file inside a message. Messages reach terminals (`src-vipa
// check`) and syslog, so what the file says is shown, never obeyed: control characters
// (C0, DEL, C1), Unicode's bidirectional and line-separator controls and every byte that
// is not valid UTF-8 are written as \xNN, one escape per byte; a long text is cut short.

// At most this many bytes of message per quoted text; then "...".
export const QUOTE_MAX: i32 = 96;
const out: usize = memory.data(QUOTE_MAX + 8);

@inline function isCont(b: u32): bool {
  return (b & 0xc0) == 0x80;
}

// Length of the valid UTF-8 sequence at p (at most `left` bytes), or 0 if it is not one.
function sequenceLength(p: usize, left: i32): i32 {
  const b = <u32>load<u8>(p);
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return left >= 2 && isCont(load<u8>(p + 1)) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    if (left < 3) return 0;
    const b1 = <u32>load<u8>(p + 1);
    if (!isCont(b1) || !isCont(load<u8>(p + 2))) return 0;
    if (b == 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b == 0xed && b1 > 0x9f) return 0; // surrogate
    return 3;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    if (left < 4) return 0;
    const b1 = <u32>load<u8>(p + 1);
    if (!isCont(b1) || !isCont(load<u8>(p + 2)) || !isCont(load<u8>(p + 3))) return 0;
    if (b == 0xf0 && b1 < 0x90) return 0; // overlong
    if (b == 0xf4 && b1 > 0x8f) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

// Whether the character of `n` bytes at p is one that must not reach a terminal as is.
function isControl(p: usize, n: i32): bool {
  const b = <u32>load<u8>(p);
  if (n == 1) return b < 0x20 || b == 0x7f;
  if (n == 2) {
    const c = ((b & 0x1f) << 6) | (<u32>load<u8>(p + 1) & 0x3f);
    return c < 0xa0 || c == 0x61c; // C1 controls; ARABIC LETTER MARK
  }
  if (n == 3) {
    const c = ((b & 0x0f) << 12) | ((<u32>load<u8>(p + 1) & 0x3f) << 6) | (<u32>load<u8>(p + 2) & 0x3f);
    return c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
  }
  return false;
}

const HEX = "0123456789abcdef";

// The `len` bytes at p as message text: escaped, and cut short after QUOTE_MAX bytes.
export function quote(p: usize, len: i32): string {
  let at = 0;
  let i = 0;
  while (i < len) {
    let n = sequenceLength(p + i, len - i);
    const escape = n == 0 || isControl(p + i, n);
    if (escape && n == 0) n = 1;
    const width = escape ? 4 * n : n;
    if (at + width > QUOTE_MAX) break;
    for (let k = 0; k < n; k++) {
      const b = <u32>load<u8>(p + i + k);
      if (escape) {
        store<u8>(out + at, 0x5c); // backslash
        store<u8>(out + at + 1, 0x78); // x
        store<u8>(out + at + 2, <u8>HEX.charCodeAt(b >> 4));
        store<u8>(out + at + 3, <u8>HEX.charCodeAt(b & 15));
        at += 4;
      } else {
        store<u8>(out + at++, <u8>b);
      }
    }
    i += n;
  }
  const text = String.UTF8.decodeUnsafe(out, at);
  return i < len ? text + "..." : text;
}
