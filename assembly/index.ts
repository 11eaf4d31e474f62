// The engine's ABI, and nothing else: every export is documented in docs/abi.md.
// The work lives in config/ (loading, may allocate), table/ (lookups) and policy/.
import {
  ABI_MAJOR, ABI_MINOR, E_ARGS, E_STATE, RES_ADDR, RESULT, SCRATCH, SCRATCH_SIZE,
} from "./abi";
import { formatAddress, parseAddress } from "./addr";
import { growFor } from "./config/budget";
import { diags } from "./config/diag";
import { finalizeConfig } from "./config/finalize";
import { names } from "./config/names";
import { parseConfig } from "./config/parse";
import { release, shiftTurn } from "./policy/choose";
import { reseedChild, seedFixed } from "./policy/rng";
import { select, setReady } from "./select";
import { R_SRC_COUNT, ruleCount, rulePtr, sourcePtr } from "./table/rules";

import "./trap"; // abort -> trap (asconfig.json "use")

const MAX_INPUT: u32 = 64 << 20;

// Loading moves through these phases once, in order.
const FRESH = 0, INPUT = 1, PARSED = 2, FINAL = 3;
let phase = FRESH;
let input: usize = 0;
let inputLen: u32 = 0;
let forks: u32 = 0;

export function sv_abi_version(): u32 {
  return (ABI_MAJOR << 16) | ABI_MINOR;
}

export function sv_input(len: u32): u32 {
  if (phase != FRESH || len > MAX_INPUT) return 0;
  growFor(len); // exactly: the allocator would double memory
  input = heap.alloc(len > 0 ? <usize>len : 1);
  inputLen = len;
  phase = INPUT;
  return <u32>input;
}

export function sv_parse(len: u32): i32 {
  if (phase != INPUT) return E_STATE;
  if (len > inputLen) return E_ARGS;
  parseConfig(input, len);
  phase = PARSED;
  return names.length;
}

// A name's bytes lie in the input area, which a host may discard after sv_finalize.
export function sv_name_ptr(i: u32): u32 {
  return phase == PARSED && i < <u32>names.length ? <u32>names[i].ptr : 0;
}

export function sv_name_len(i: u32): u32 {
  return phase == PARSED && i < <u32>names.length ? <u32>names[i].len : 0;
}

export function sv_answer(i: u32, family: u32, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  if (phase != PARSED) return E_STATE;
  if (i >= <u32>names.length || (family != 4 && family != 6)) return E_ARGS;
  if (family == 4) { a1 = 0; a2 = 0; a3 = 0; }
  names[i].add(family, a0, a1, a2, a3);
  return 0;
}

export function sv_answer_error(i: u32, reason: u32): void {
  if (phase == PARSED && i < <u32>names.length) names[i].reason = reason;
}

export function sv_finalize(): i32 {
  if (phase != PARSED) return E_STATE;
  finalizeConfig();
  phase = FINAL;
  setReady();
  return <i32>ruleCount;
}

export function sv_seed(lo: u32, hi: u32): void {
  seedFixed(lo, hi);
}

export function sv_diag_count(): u32 {
  return diags.length;
}

export function sv_diag_ptr(i: u32): u32 {
  return i < <u32>diags.length ? <u32>changetype<usize>(diags[i]) : 0;
}

export function sv_select(kind: u32, family: u32, a0: u32, a1: u32, a2: u32, a3: u32,
                          port: u32, proto: u32, flags: u32): i32 {
  return select(kind, family, a0, a1, a2, a3, port, proto, flags);
}

export function sv_result_ptr(): u32 {
  return <u32>RESULT;
}

export function sv_release(rule: u32, index: u32): void {
  if (phase == FINAL && rule < ruleCount) release(rulePtr(rule), index);
}

export function sv_fork_prepare(): void {
  forks++;
}

export function sv_fork_child(): void {
  const child = forks;
  forks = 0;
  reseedChild(child);
  if (phase != FINAL) return;
  for (let id: u32 = 0; id < ruleCount; id++) shiftTurn(rulePtr(id), child);
}

export function sv_rule_count(): u32 {
  return phase == FINAL ? ruleCount : 0;
}

export function sv_rule_ptr(rule: u32): u32 {
  return phase == FINAL && rule < ruleCount ? <u32>rulePtr(rule) : 0;
}

export function sv_source_ptr(rule: u32, index: u32): u32 {
  if (phase != FINAL || rule >= ruleCount) return 0;
  const r = rulePtr(rule);
  return index < load<u32>(r + R_SRC_COUNT) ? <u32>sourcePtr(r, index) : 0;
}

export function sv_scratch_ptr(): u32 {
  return <u32>SCRATCH;
}

export function sv_addr_parse(len: u32): u32 {
  if (len > <u32>SCRATCH_SIZE) return 0;
  return parseAddress(SCRATCH, <i32>len, RESULT + RES_ADDR);
}

export function sv_addr_format(family: u32): u32 {
  if (family != 4 && family != 6) return 0;
  return <u32>formatAddress(family, RESULT + RES_ADDR, SCRATCH);
}
