// What the engine cannot do itself; implemented by each host (docs/abi.md, "Imports").

@external("src_vipa", "random_u32")
export declare function hostRandom(): u32;

@external("src_vipa", "rr_next")
export declare function hostRrNext(line: u32, perm: u32): u32;

@external("src_vipa", "log")
export declare function hostLog(level: u32, ptr: usize, len: u32): void;

export const LOG_ERR: u32 = 3;
export const LOG_WARNING: u32 = 4;
export const LOG_INFO: u32 = 6;

// Not on the decision path: it allocates the UTF-8 copy.
export function log(level: u32, message: string): void {
  const bytes = String.UTF8.encode(message);
  hostLog(level, changetype<usize>(bytes), bytes.byteLength);
}
