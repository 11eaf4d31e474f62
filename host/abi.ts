// The engine ABI as the Node host sees it: numbers, record layouts and the typed exports.
// docs/abi.md is the contract; every constant here names a row of one of its tables.

/** The ABI major version this host was written for; a module with another major is refused. */
export const ABI_MAJOR = 1;

/** The exports of an ABI 1.x engine module. */
export interface EngineExports {
  memory: { readonly buffer: ArrayBuffer };
  sv_abi_version(): number;
  sv_input(len: number): number;
  sv_parse(len: number): number;
  sv_name_ptr(i: number): number;
  sv_name_len(i: number): number;
  sv_answer(i: number, family: number, a0: number, a1: number, a2: number, a3: number): number;
  sv_answer_error(i: number, reason: number): void;
  sv_finalize(): number;
  sv_seed(lo: number, hi: number): void;
  sv_diag_count(): number;
  sv_diag_ptr(i: number): number;
  sv_select(kind: number, family: number, a0: number, a1: number, a2: number, a3: number,
            port: number, proto: number, flags: number): number;
  sv_result_ptr(): number;
  sv_release(rule: number, index: number): void;
  sv_fork_prepare(): void;
  sv_fork_child(): void;
  sv_rule_count(): number;
  sv_rule_ptr(rule: number): number;
  sv_source_ptr(rule: number, index: number): number;
  sv_scratch_ptr(): number;
  sv_addr_parse(len: number): number;
  sv_addr_format(family: number): number;
}

export const SCRATCH_SIZE = 256;

/** The engine's memory may grow to 4096 pages (docs/abi.md, "Memory"). */
export const MAX_MEMORY = 4096 * 65536;

// sv_select
export const KIND_CONNECT = 1;
export const KIND_BIND = 2;
/** The AF_INET6 socket is not IPV6_V6ONLY; no answer depends on it (docs/abi.md). */
export const F_DUALSTACK = 1;
export const PROTOCOLS = { tcp: 6, udp: 17 } as const;

// result codes
export const SV_PASS = 0;
export const SV_BIND = 1;
export const SV_KEEP = 2;

// sv_answer_error reasons
export const REASON_NOT_FOUND = 1;
export const REASON_TEMPORARY = 2;
export const REASON_OTHER = 3;

// result record
export const RES_CODE = 0;
export const RES_RULE = 4;
export const RES_INDEX = 8;
export const RES_FAMILY = 12;
export const RES_ADDR = 16;
export const RES_LINE = 32;
export const RES_POLICY = 36;
export const RES_FLAGS = 40;
export const RF_MAPPED = 1;
export const RF_COUNTED = 2;
/** 1.1: the same query always gets this same answer (docs/abi.md). */
export const RF_STABLE = 4;

// rule record
export const RULE_LINE = 0;
export const RULE_KIND = 4;
export const RULE_FAMILY = 8;
export const RULE_POLICY = 12;
export const RULE_PERM = 16;
export const RULE_PREFIX = 20;
export const RULE_PORT_LO = 24;
export const RULE_PORT_HI = 28;
export const RULE_SRC_COUNT = 32;
export const RULE_SHADOWED_BY = 36;
export const RULE_DEST_PTR = 40;
export const RULE_LC_TOTAL = 44;
export const RULE_KIND_DEST = 1;

// diagnostic record
export const DIAG_LINE = 0;
export const DIAG_COLUMN = 4;
export const DIAG_SEVERITY = 8;
export const DIAG_CODE = 12;
export const DIAG_MESSAGE_PTR = 16;
export const DIAG_MESSAGE_LEN = 20;

export type PolicyWord = 'onevipa' | 'random' | 'lrr' | 'rr' | 'lc';
export const POLICIES: Record<number, PolicyWord> = {
  1: 'onevipa', 2: 'random', 3: 'lrr', 4: 'rr', 5: 'lc',
};
export const P_RR = 4;

export type Severity = 'error' | 'warning' | 'note';
export const SEVERITIES: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'note' };

export type DiagnosticName =
  | 'SYNTAX' | 'BAD_DEST' | 'BAD_MASK' | 'BAD_PORT' | 'BAD_SOURCE' | 'MIXED_FAMILY'
  | 'NO_SOURCES' | 'LINE_TOO_LONG' | 'TOO_MANY_RULES' | 'BAD_POLICY' | 'OLD_FORMAT' | 'HOST_BITS'
  | 'RESOLVE_FAILED' | 'FAMILY_EMPTY' | 'SHADOWED' | 'SHORT_PREFIX' | 'MAPPED_ADDRESS'
  | 'TOO_MANY_ADDRESSES' | 'NOT_PORTABLE' | 'DIAGNOSTICS_OMITTED';
export const DIAGNOSTIC_CODES: Record<DiagnosticName, number> = {
  SYNTAX: 1, BAD_DEST: 2, BAD_MASK: 3, BAD_PORT: 4, BAD_SOURCE: 5, MIXED_FAMILY: 6,
  NO_SOURCES: 7, LINE_TOO_LONG: 8, TOO_MANY_RULES: 9, BAD_POLICY: 20, OLD_FORMAT: 21, HOST_BITS: 22,
  RESOLVE_FAILED: 23, FAMILY_EMPTY: 24, SHADOWED: 25, SHORT_PREFIX: 27, MAPPED_ADDRESS: 28,
  TOO_MANY_ADDRESSES: 29, NOT_PORTABLE: 40, DIAGNOSTICS_OMITTED: 41,
};
export const DIAGNOSTIC_NAMES: Record<number, DiagnosticName> = Object.fromEntries(
  Object.entries(DIAGNOSTIC_CODES).map(([name, code]) => [code, name as DiagnosticName]));
