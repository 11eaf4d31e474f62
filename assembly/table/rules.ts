// Rule records and the pool of source addresses they draw from.
// A record is 80 bytes: the 48-byte ABI rule record (docs/abi.md), then the engine's own
// state, then the 16 destination bytes. Several records can share one block of sources
// (the addresses a host name resolved to, on one line).
import { Buf } from "../buf";

export const RULE_SIZE: u32 = 80;
// ABI part
export const R_LINE: usize = 0;
export const R_KIND: usize = 4;
export const R_FAMILY: usize = 8;
export const R_POLICY: usize = 12;
export const R_PERM: usize = 16;
export const R_PREFIX: usize = 20;
export const R_PORT_LO: usize = 24;
export const R_PORT_HI: usize = 28;
export const R_SRC_COUNT: usize = 32;
export const R_SHADOWED_BY: usize = 36;
export const R_DEST_PTR: usize = 40;
export const R_LC_TOTAL: usize = 44;
// engine state
export const R_SRC_FIRST: usize = 48; // index of the first source in the pool
export const R_COUNTER: usize = 52;   // lrr position, and rr's fallback when no shared counter
export const R_LC_LAST: usize = 56;   // lc: index chosen last, where the tie-break resumes
export const R_FLAGS: usize = 60;     // bit 0: the rr fallback has been logged
export const R_DEST: usize = 64;

export const rules = new Buf();
export const sources = new Buf(); // 16 bytes per source
export const counts = new Buf();  // lc: u32 per source, parallel to `sources`

export let ruleCount: u32 = 0;
// Valid once the tables are final (sv_finalize), so the decision path needs no index math.
export let rulesBase: usize = 0;
export let sourcesBase: usize = 0;
export let countsBase: usize = 0;

export function reserveRules(n: u32, sourcesNeeded: u32): void {
  rules.reserve(n * RULE_SIZE);
  sources.reserve(sourcesNeeded * 16);
  counts.reserve(sourcesNeeded * 4);
}

export function addRule(): u32 {
  rules.grow(RULE_SIZE);
  return ruleCount++;
}

// Offset of rule `id` while the table is still growing.
@inline export function rulePtrBuilding(id: u32): usize {
  return rules.ptr + <usize>id * RULE_SIZE;
}

// Appends one source address; returns its pool index.
export function addSource(addr: usize): u32 {
  const at = sources.grow(16);
  memory.copy(sources.ptr + at, addr, 16);
  counts.grow(4);
  return at >> 4;
}

export function sourceCount(): u32 {
  return sources.used >> 4;
}

// Source `index` of the pool while it is still growing.
@inline export function sourcePtrBuilding(index: u32): usize {
  return sources.ptr + (<usize>index << 4);
}

export function freeze(): void {
  rulesBase = rules.ptr;
  sourcesBase = sources.ptr;
  countsBase = counts.ptr;
  for (let id: u32 = 0; id < ruleCount; id++) {
    const r = rulesBase + <usize>id * RULE_SIZE;
    store<u32>(r + R_DEST_PTR, <u32>(r + R_DEST));
  }
}

@inline export function rulePtr(id: u32): usize {
  return rulesBase + <usize>id * RULE_SIZE;
}

@inline export function sourcePtr(r: usize, index: u32): usize {
  return sourcesBase + ((<usize>load<u32>(r + R_SRC_FIRST) + index) << 4);
}

@inline export function countPtr(r: usize, index: u32): usize {
  return countsBase + ((<usize>load<u32>(r + R_SRC_FIRST) + index) << 2);
}
