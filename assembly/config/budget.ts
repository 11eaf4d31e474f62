// How much of the engine's memory loading may still use, so that a configuration too large
// for it gets a diagnostic instead of a trap. The stub runtime (asconfig.json) is a bump
// allocator that reuses nothing: the heap's top is exactly what loading has used so far.

// The module's maximum memory (asconfig.json "maximumMemory": 4096 pages).
export const MAX_MEMORY: usize = <usize>4096 << 16;
// Left for what loading allocates without counting it: diagnostics (at most MAX_DIAGS, each
// message cut short), host names' text, the lookup tables' fixed parts.
export const RESERVE: usize = 8 << 20;

// What one rule and one source address cost from parsing to the final tables, at most, in
// bytes (each checked against its structure in the comment). A parsed line (Pending, 60) and
// its rule record (80), a prefix-table share (at most 4 entries of 24: the table is a power
// of two at most half full) or a bind list entry, and one source item (24) with its
// address (16) and lc count (4).
export const PENDING_COST: u64 = 60;
export const RULE_COST: u64 = 80;
export const PREFIX_COST: u64 = 96;
export const BIND_COST: u64 = 16;
export const ITEM_COST: u64 = 24;
export const SOURCE_COST: u64 = 20;

// The first free byte of the heap (an empty allocation, given straight back).
export function heapTop(): usize {
  const p = heap.alloc(0);
  heap.free(p);
  return p;
}

// Whether `bytes` more can still be allocated, keeping the reserve. Building the tables
// keeps half of it: parsing, which counted their cost already, may have used some.
export function fits(bytes: u64, reserve: u64 = RESERVE): bool {
  return <u64>heapTop() + bytes + reserve <= <u64>MAX_MEMORY;
}

// Memory kept free beyond what is asked for, so that the small allocations of a line
// never find the memory full: the stub allocator then doubles the memory, which can
// leave up to half of it unused (and, in the C host, resident: its runtime zeroes new
// pages). Loading calls growFor for each line; one line allocates far less than this.
const HEADROOM: u64 = 1 << 20;

// Grows memory to hold `bytes` more, plus the headroom (never beyond the maximum).
export function growFor(bytes: u64): void {
  let want = <u64>heapTop() + bytes + HEADROOM;
  if (want > <u64>MAX_MEMORY) want = <u64>MAX_MEMORY;
  const have = <u64>memory.size() << 16;
  if (want > have) memory.grow(<i32>((want - have + 0xffff) >> 16));
}
