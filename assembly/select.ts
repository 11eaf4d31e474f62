// The decision path: scalars in, a result record out. No allocation, no strings.
import {
  E_ARGS, E_STATE, F_KNOWN, KIND_BIND, KIND_CONNECT, R_BIND, R_KEEP, R_PASS,
  RES_ADDR, RES_CODE, RES_FAMILY, RES_FLAGS, RES_LINE, RES_RULE, RESULT,
  RF_COUNTED, RF_MAPPED, RF_STABLE, P_LC,
} from "./abi";
import { choose, fixedChoice, uncount } from "./policy/choose";
import { binds4, binds6 } from "./table/binds";
import { prefixes4, prefixes6 } from "./table/prefix";
import { cached4, cached6, remember4, remember6, slot4, slot6 } from "./table/cache";
import { R_FAMILY, R_LINE, R_POLICY, R_SRC_COUNT, rulePtr, sourcePtr } from "./table/rules";

export let ready = false;

export function setReady(): void {
  ready = true;
}

// Inlined into the sv_select export: one wasm call per decision, not three (each call
// costs a call-depth check and argument passing in the wasm2c build).
@inline export function select(kind: u32, family: u32, a0: u32, a1: u32, a2: u32, a3: u32,
                       port: u32, proto: u32, flags: u32): i32 {
  if (!ready) return answer(E_STATE);
  if (flags & ~F_KNOWN) return answer(E_ARGS);
  let id = -1;
  let mapped = false;
  if (kind == KIND_CONNECT) {
    if (family == 4) {
      id = destination4(a0);
    } else if (family == 6) {
      if (a0 == 0 && a1 == 0 && a2 == 0xFFFF) {
        id = destination4(a3);
        mapped = true;
      } else {
        id = destination6(a0, a1, a2, a3);
      }
    } else {
      return answer(E_ARGS);
    }
  } else if (kind == KIND_BIND) {
    if (port > 65535) return answer(E_ARGS);
    if (family == 4) {
      id = binds4.find(port);
    } else if (family == 6) {
      // Never the IPv4 statements, even for a dual-stack socket (SV_F_DUALSTACK): bound to
      // ::ffff:SRC it would reach IPv4 only, and its IPv6 sends would fail (docs/abi.md).
      id = binds6.find(port);
    } else {
      return answer(E_ARGS);
    }
  } else {
    return answer(E_ARGS);
  }
  if (id < 0) return answer(R_PASS);

  // Every field of the rule is read before the result is written: the wasm2c build
  // bounds-checks each access, and a load after a store cannot be reused.
  const r = rulePtr(<u32>id);
  const policy = load<u32>(r + R_POLICY);
  const n = load<u32>(r + R_SRC_COUNT);
  const index = choose(r, policy, n);
  const src = sourcePtr(r, index);
  const s0 = load<u64>(src);
  const s1 = load<u64>(src + 8);
  const lineAndPolicy = <u64>load<u32>(r + R_LINE) | (<u64>policy << 32);
  const answerFamily: u32 = mapped ? 6 : load<u32>(r + R_FAMILY);
  const wildcard = (s0 | s1) == 0;
  const out = RESULT + RES_ADDR;
  // the same answer every time: nothing to choose and nothing counted (the rules never change)
  let resultFlags: u32 = policy != P_LC && fixedChoice(policy, n) ? RF_STABLE : 0;
  if (mapped && !wildcard) {
    store<u64>(out, 0);
    store<u64>(out + 8, (s0 << 32) | 0xFFFF0000); // bytes 00 00 ff ff, then the IPv4 address
    resultFlags |= RF_MAPPED;
  } else {
    store<u64>(out, s0);
    store<u64>(out + 8, s1);
    if (mapped) resultFlags |= RF_MAPPED; // the wildcard stays all zero: `::`
  }
  if (policy == P_LC) {
    if (wildcard) uncount(r, index);
    else resultFlags |= RF_COUNTED;
  }
  // RES_RULE and RES_INDEX, RES_LINE and RES_POLICY are adjacent: one store per pair
  store<u64>(RESULT + RES_RULE, <u64><u32>id | (<u64>index << 32));
  store<u32>(RESULT + RES_FAMILY, answerFamily);
  store<u64>(RESULT + RES_LINE, lineAndPolicy);
  store<u32>(RESULT + RES_FLAGS, resultFlags);
  return answer(wildcard ? R_KEEP : R_BIND);
}

@inline function destination4(a: u32): i32 {
  const e = slot4(a);
  let id = cached4(e, a);
  if (id == -2) {
    id = prefixes4.lookup4(a);
    remember4(e, a, id);
  }
  return id;
}

@inline function destination6(a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  const e = slot6(a0, a1, a2, a3);
  let id = cached6(e, a0, a1, a2, a3);
  if (id == -2) {
    id = prefixes6.lookup6(a0, a1, a2, a3);
    remember6(e, a0, a1, a2, a3, id);
  }
  return id;
}

// The code, and for a pass or an error the flags (a pass is stable: the rules never change).
@inline function answer(code: i32): i32 {
  store<i32>(RESULT + RES_CODE, code);
  if (code <= 0) {
    store<u32>(RESULT + RES_FLAGS, code == R_PASS ? RF_STABLE : 0);
  }
  return code;
}
