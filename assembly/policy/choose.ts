// The five policies: which source index a rule gives out next. Integer-only, no allocation.
import { P_LC, P_LRR, P_ONEVIPA, P_RANDOM, P_RR } from "../abi";
import { hostRrNext } from "../imports";
import {
  countPtr, R_COUNTER, R_FLAGS, R_LC_LAST, R_LC_TOTAL, R_LINE, R_PERM, R_POLICY, R_SRC_COUNT,
} from "../table/rules";
import { below } from "./rng";
import { logRrFallback } from "./notices";

// The rule has nothing to choose: its answer is always source 0 (lc still counts it).
@inline export function fixedChoice(policy: u32, n: u32): bool {
  return policy == P_ONEVIPA || n == 1;
}

// `policy` and `n` are the rule's R_POLICY and R_SRC_COUNT, already loaded by the caller.
@inline export function choose(r: usize, policy: u32, n: u32): u32 {
  if (fixedChoice(policy, n)) {
    if (policy == P_LC) countOne(r, 0);
    return 0;
  }
  if (policy == P_RANDOM) return below(n);
  if (policy == P_RR) {
    const shared = hostRrNext(load<u32>(r + R_LINE), load<u32>(r + R_PERM));
    if (shared != 0xFFFFFFFF) return shared % n;
    if (!(load<u32>(r + R_FLAGS) & 1)) {
      store<u32>(r + R_FLAGS, load<u32>(r + R_FLAGS) | 1);
      logRrFallback(load<u32>(r + R_LINE));
    }
    return nextInTurn(r, n);
  }
  if (policy == P_LC) return leastConnections(r, n);
  return nextInTurn(r, n); // P_LRR
}

// Round robin per process; the counter stays below n so it never wraps unevenly.
@inline function nextInTurn(r: usize, n: u32): u32 {
  const i = load<u32>(r + R_COUNTER);
  store<u32>(r + R_COUNTER, i + 1 < n ? i + 1 : 0);
  return i < n ? i : 0;
}

// The source with the fewest sockets; ties go round robin, starting after the last pick.
function leastConnections(r: usize, n: u32): u32 {
  let best: u32 = 0;
  let bestCount: u32 = 0xFFFFFFFF;
  let i = load<u32>(r + R_LC_LAST) + 1;
  for (let k: u32 = 0; k < n; k++, i++) {
    if (i >= n) i = 0;
    const c = load<u32>(countPtr(r, i));
    if (c < bestCount) { bestCount = c; best = i; }
  }
  store<u32>(r + R_LC_LAST, best);
  countOne(r, best);
  return best;
}

@inline function countOne(r: usize, index: u32): void {
  const p = countPtr(r, index);
  store<u32>(p, load<u32>(p) + 1);
  store<u32>(r + R_LC_TOTAL, load<u32>(r + R_LC_TOTAL) + 1);
}

export function release(r: usize, index: u32): void {
  if (load<u32>(r + R_POLICY) != P_LC || index >= load<u32>(r + R_SRC_COUNT)) return;
  const p = countPtr(r, index);
  const c = load<u32>(p);
  if (!c) return; // never below zero, whatever the host sends
  store<u32>(p, c - 1);
  store<u32>(r + R_LC_TOTAL, load<u32>(r + R_LC_TOTAL) - 1);
}

// Reverses a count taken for an answer the host will not bind (a wildcard source).
export function uncount(r: usize, index: u32): void {
  release(r, index);
}

// A forked child starts its per-process round robins `offset` places further on.
export function shiftTurn(r: usize, offset: u32): void {
  const n = load<u32>(r + R_SRC_COUNT);
  const p = load<u32>(r + R_POLICY);
  if (n > 1 && (p == P_LRR || p == P_RR || p == P_LC)) {
    store<u32>(r + R_COUNTER, (load<u32>(r + R_COUNTER) + offset % n) % n);
  }
  if (p == P_LC && n > 1) {
    store<u32>(r + R_LC_LAST, (load<u32>(r + R_LC_LAST) + offset % n) % n);
  }
}
