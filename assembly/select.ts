// The decision path: scalars in, a result record out. No allocation, no strings.
import {
  E_ARGS, E_STATE, F_DUALSTACK, F_KNOWN, KIND_BIND, KIND_CONNECT, R_BIND, R_KEEP, R_PASS,
  RES_ADDR, RES_CODE, RES_FAMILY, RES_FLAGS, RES_INDEX, RES_LINE, RES_POLICY, RES_RULE, RESULT,
  RF_COUNTED, RF_MAPPED, P_LC,
} from "./abi";
import { choose, uncount } from "./policy/choose";
import { binds4, binds6 } from "./table/binds";
import { prefixes4, prefixes6 } from "./table/prefix";
import { cached4, cached6, remember4, remember6, slot4, slot6 } from "./table/cache";
import { R_FAMILY, R_LINE, R_POLICY, rulePtr, sourcePtr } from "./table/rules";

export let ready = false;

export function setReady(): void {
  ready = true;
}

export function select(kind: u32, family: u32, a0: u32, a1: u32, a2: u32, a3: u32,
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
      id = binds6.find(port);
      if (id < 0 && (flags & F_DUALSTACK)) {
        id = binds4.find(port);
        mapped = true;
      }
    } else {
      return answer(E_ARGS);
    }
  } else {
    return answer(E_ARGS);
  }
  if (id < 0) return answer(R_PASS);

  const r = rulePtr(<u32>id);
  const index = choose(r);
  const src = sourcePtr(r, index);
  const out = RESULT + RES_ADDR;
  const wildcard = (load<u64>(src) | load<u64>(src + 8)) == 0;
  let resultFlags: u32 = 0;
  if (mapped && !wildcard) {
    store<u64>(out, 0);
    store<u32>(out + 8, 0xFFFF0000); // bytes 00 00 ff ff
    store<u32>(out + 12, load<u32>(src));
    resultFlags |= RF_MAPPED;
  } else {
    store<u64>(out, load<u64>(src));
    store<u64>(out + 8, load<u64>(src + 8));
    if (mapped) resultFlags |= RF_MAPPED; // the wildcard stays all zero: `::`
  }
  const policy = load<u32>(r + R_POLICY);
  if (policy == P_LC) {
    if (wildcard) uncount(r, index);
    else resultFlags |= RF_COUNTED;
  }
  store<u32>(RESULT + RES_RULE, <u32>id);
  store<u32>(RESULT + RES_INDEX, index);
  store<u32>(RESULT + RES_FAMILY, mapped ? 6 : load<u32>(r + R_FAMILY));
  store<u32>(RESULT + RES_LINE, load<u32>(r + R_LINE));
  store<u32>(RESULT + RES_POLICY, policy);
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

@inline function answer(code: i32): i32 {
  store<i32>(RESULT + RES_CODE, code);
  if (code <= 0) {
    store<u32>(RESULT + RES_FLAGS, 0);
  }
  return code;
}
