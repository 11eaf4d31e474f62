// IPv4 and IPv6 address literals: text <-> 16 bytes in network order.
// Grammar: dotted quad with 1-3 digit parts (no leading zeros), and every RFC 4291 IPv6
// form (`::` compression, a trailing dotted quad). No zone ids, no brackets.

const WORDS: usize = memory.data(16, 4); // eight 16-bit groups while parsing IPv6

@inline function hexValue(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  c |= 0x20; // lower case
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x61 + 10);
  return -1;
}

// Parses a dotted quad; returns the address as a big-endian word, or -1 (as i64) if invalid.
export function parseIPv4(p: usize, len: i32): i64 {
  let value: u32 = 0;
  let part: u32 = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x2e) { // '.'
      if (digits == 0 || dots == 3) return -1;
      value = (value << 8) | part;
      part = 0; digits = 0; dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits == 1 && part == 0) return -1; // leading zero
      if (++digits > 3) return -1;
      part = part * 10 + (c - 0x30);
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots != 3 || digits == 0) return -1;
  return <i64>((value << 8) | part);
}

function parseIPv6(p: usize, len: i32, out: usize): bool {
  if (len < 2) return false;
  let n = 0;      // groups parsed
  let gap = -1;   // group index where `::` stands
  let i = 0;
  if (load<u8>(p) == 0x3a) {
    if (load<u8>(p + 1) != 0x3a) return false;
    gap = 0; i = 2;
    if (i == len) return finishIPv6(n, gap, out);
  }
  while (true) {
    const start = i;
    let value = 0;
    let digits = 0;
    while (i < len && digits < 5) {
      const h = hexValue(load<u8>(p + i));
      if (h < 0) break;
      value = (value << 4) | h; digits++; i++;
    }
    if (digits == 0) return false;
    if (i < len && load<u8>(p + i) == 0x2e) { // a dotted quad ends the address
      if (n > 6) return false;
      const v4 = parseIPv4(p + start, len - start);
      if (v4 < 0) return false;
      store<u16>(WORDS + (n++ << 1), <u16>(v4 >> 16));
      store<u16>(WORDS + (n++ << 1), <u16>v4);
      break;
    }
    if (digits > 4 || n >= 8) return false;
    store<u16>(WORDS + (n++ << 1), <u16>value);
    if (i == len) break;
    if (load<u8>(p + i) != 0x3a) return false;
    i++;
    if (i < len && load<u8>(p + i) == 0x3a) {
      if (gap >= 0) return false;
      gap = n; i++;
      if (i == len) break;
    } else if (i == len) {
      return false; // a single trailing colon
    }
  }
  return finishIPv6(n, gap, out);
}

function finishIPv6(n: i32, gap: i32, out: usize): bool {
  if (gap < 0 ? n != 8 : n > 7) return false;
  const tail = gap < 0 ? 0 : n - gap;
  const head = n - tail;
  memory.fill(out, 0, 16);
  for (let k = 0; k < head; k++) storeWord(out, k, load<u16>(WORDS + (k << 1)));
  for (let k = 0; k < tail; k++) storeWord(out, 8 - tail + k, load<u16>(WORDS + ((head + k) << 1)));
  return true;
}

@inline function storeWord(out: usize, k: i32, w: u16): void {
  store<u8>(out + (k << 1), <u8>(w >> 8));
  store<u8>(out + (k << 1) + 1, <u8>w);
}

@inline function loadWord(src: usize, k: i32): u32 {
  return (<u32>load<u8>(src + (k << 1)) << 8) | <u32>load<u8>(src + (k << 1) + 1);
}

// Parses an IPv4 or IPv6 literal into 16 bytes at `out`; returns 4, 6, or 0 if invalid.
export function parseAddress(p: usize, len: i32, out: usize): u32 {
  const v4 = parseIPv4(p, len);
  if (v4 >= 0) {
    memory.fill(out, 0, 16);
    store<u32>(out, bswap<u32>(<u32>v4));
    return 4;
  }
  return parseIPv6(p, len, out) ? 6 : 0;
}

function putDecimal(out: usize, at: i32, v: u32): i32 {
  if (v >= 100) store<u8>(out + at++, <u8>(0x30 + v / 100));
  if (v >= 10) store<u8>(out + at++, <u8>(0x30 + (v / 10) % 10));
  store<u8>(out + at++, <u8>(0x30 + v % 10));
  return at;
}

function putIPv4(out: usize, at: i32, src: usize): i32 {
  for (let k = 0; k < 4; k++) {
    if (k) store<u8>(out + at++, 0x2e);
    at = putDecimal(out, at, load<u8>(src + k));
  }
  return at;
}

function putHex(out: usize, at: i32, w: u32): i32 {
  let started = false;
  for (let shift = 12; shift >= 0; shift -= 4) {
    const d = (w >> shift) & 15;
    if (d == 0 && !started && shift > 0) continue;
    started = true;
    store<u8>(out + at++, <u8>(d < 10 ? 0x30 + d : 0x57 + d));
  }
  return at;
}

// Formats 16 bytes as text at `out` (at least 46 bytes); returns the length.
// IPv6 follows RFC 5952; IPv4-mapped addresses are written ::ffff:a.b.c.d.
export function formatAddress(family: u32, src: usize, out: usize): i32 {
  if (family == 4) return putIPv4(out, 0, src);
  let mapped = true;
  for (let k = 0; k < 5; k++) if (loadWord(src, k) != 0) mapped = false;
  if (mapped && loadWord(src, 5) == 0xffff) {
    for (let k = 0; k < 7; k++) store<u8>(out + k, load<u8>(changetype<usize>("::ffff:") + (k << 1)));
    return putIPv4(out, 7, src + 12);
  }
  // the longest run of two or more zero groups, the first one on a tie
  let bestAt = -1, bestLen = 1, runAt = 0, runLen = 0;
  for (let k = 0; k < 8; k++) {
    if (loadWord(src, k) == 0) {
      if (runLen == 0) runAt = k;
      runLen++;
      if (runLen > bestLen) { bestLen = runLen; bestAt = runAt; }
    } else {
      runLen = 0;
    }
  }
  let at = 0;
  for (let k = 0; k < 8; k++) {
    if (k == bestAt) {
      store<u8>(out + at++, 0x3a);
      store<u8>(out + at++, 0x3a);
      k += bestLen - 1;
      continue;
    }
    if (k > 0 && k != bestAt + bestLen) store<u8>(out + at++, 0x3a);
    at = putHex(out, at, loadWord(src, k));
  }
  return at;
}
