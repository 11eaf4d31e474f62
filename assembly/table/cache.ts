// A small direct-mapped cache of destination -> rule, in front of the prefix tables.
// Rules never change after loading, so an entry never goes stale; programs connect to the
// same few destinations over and over, so most decisions skip the prefix probes entirely.
// Static data: nothing is allocated on the decision path.

const SLOTS4: u32 = 256;                  // 8 bytes each: address, rule + 2 (1 = no rule, 0 = empty)
const cache4: usize = memory.data(<i32>SLOTS4 * 8, 8);
const SLOTS6: u32 = 64;                   // 20 bytes each: four words, rule + 2
const cache6: usize = memory.data(<i32>SLOTS6 * 20, 8);

@inline export function slot4(a: u32): usize {
  return cache4 + (<usize>((a * 0x9E3779B1) >>> 24) << 3);
}

// The cached rule of `a` (-1 = no rule), or -2 if not cached.
@inline export function cached4(e: usize, a: u32): i32 {
  const v = load<u32>(e + 4);
  return v && load<u32>(e) == a ? <i32>v - 2 : -2;
}

@inline export function remember4(e: usize, a: u32, rule: i32): void {
  store<u32>(e, a);
  store<u32>(e + 4, <u32>(rule + 2));
}

@inline export function slot6(a0: u32, a1: u32, a2: u32, a3: u32): usize {
  const h = (a0 ^ rotl<u32>(a1, 7) ^ rotl<u32>(a2, 13) ^ rotl<u32>(a3, 19)) * 0x9E3779B1;
  return cache6 + <usize>(h >>> 26) * 20;
}

@inline export function cached6(e: usize, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  const v = load<u32>(e + 16);
  return v && load<u32>(e) == a0 && load<u32>(e + 4) == a1 && load<u32>(e + 8) == a2 &&
    load<u32>(e + 12) == a3 ? <i32>v - 2 : -2;
}

@inline export function remember6(e: usize, a0: u32, a1: u32, a2: u32, a3: u32, rule: i32): void {
  store<u32>(e, a0); store<u32>(e + 4, a1); store<u32>(e + 8, a2); store<u32>(e + 12, a3);
  store<u32>(e + 16, <u32>(rule + 2));
}
