// Numbers of the engine ABI (docs/abi.md). Changing any of them is an ABI change.

export const ABI_MAJOR: u32 = 1;
export const ABI_MINOR: u32 = 1; // 1.1: the result flag RF_STABLE

// sv_select kinds
export const KIND_CONNECT: u32 = 1;
export const KIND_BIND: u32 = 2;

// sv_select flags
// the AF_INET6 socket is not IPV6_V6ONLY. Accepted and reported; it changes no answer since
// IPv4 statements stopped answering IPv6 binds (docs/abi.md, "sv_select arguments")
export const F_DUALSTACK: u32 = 1;
export const F_KNOWN: u32 = F_DUALSTACK;

// result codes
export const R_PASS: i32 = 0;
export const R_BIND: i32 = 1;
export const R_KEEP: i32 = 2;
export const E_STATE: i32 = -1;
export const E_ARGS: i32 = -2;
export const E_NOMEM: i32 = -3;

// result flags
export const RF_MAPPED: u32 = 1;
export const RF_COUNTED: u32 = 2;
// 1.1: this query will always get this same result record (no counter, no random pick, no
// count taken): the host may keep the answer and skip sv_select for the same query
export const RF_STABLE: u32 = 4;

// policies
export const P_ONEVIPA: u32 = 1;
export const P_RANDOM: u32 = 2;
export const P_LRR: u32 = 3;
export const P_RR: u32 = 4;
export const P_LC: u32 = 5;

// rule kinds
export const RULE_DEST: u32 = 1;
export const RULE_BIND: u32 = 2;

// diagnostic severities
export const SEV_ERROR: u32 = 1;
export const SEV_WARNING: u32 = 2;
export const SEV_NOTE: u32 = 3;

// diagnostic codes
export const D_SYNTAX: u32 = 1;
export const D_BAD_DEST: u32 = 2;
export const D_BAD_MASK: u32 = 3;
export const D_BAD_PORT: u32 = 4;
export const D_BAD_SOURCE: u32 = 5;
export const D_MIXED_FAMILY: u32 = 6;
export const D_NO_SOURCES: u32 = 7;
export const D_LINE_TOO_LONG: u32 = 8;
export const D_TOO_MANY_RULES: u32 = 9;
export const D_BAD_POLICY: u32 = 20;
export const D_OLD_FORMAT: u32 = 21;
export const D_HOST_BITS: u32 = 22;
export const D_RESOLVE_FAILED: u32 = 23;
export const D_FAMILY_EMPTY: u32 = 24;
export const D_SHADOWED: u32 = 25;
export const D_SHORT_PREFIX: u32 = 27;
export const D_MAPPED_ADDRESS: u32 = 28;
export const D_TOO_MANY_ADDRESSES: u32 = 29;
export const D_NOT_PORTABLE: u32 = 40;
export const D_DIAGNOSTICS_OMITTED: u32 = 41; // as severe as the worst one left out

// Fixed areas: static data, so the decision path never allocates.
export const RESULT_SIZE: i32 = 48;
export const RESULT: usize = memory.data(RESULT_SIZE, 16);
export const SCRATCH_SIZE: i32 = 256;
export const SCRATCH: usize = memory.data(SCRATCH_SIZE, 16);

// Result record fields
export const RES_CODE: usize = 0;
export const RES_RULE: usize = 4;
export const RES_INDEX: usize = 8;
export const RES_FAMILY: usize = 12;
export const RES_ADDR: usize = 16;
export const RES_LINE: usize = 32;
export const RES_POLICY: usize = 36;
export const RES_FLAGS: usize = 40;
