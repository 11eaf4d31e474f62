// Messages the decision path may have to log. Encoded at load time, so logging them later
// allocates nothing.
import { hostLog, LOG_WARNING } from "../imports";

let rrFallback: ArrayBuffer | null = null;

export function prepareNotices(): void {
  rrFallback = String.UTF8.encode(
    "rr: no shared counter available (System V shared memory); counting round robin per process instead");
}

export function logRrFallback(line: u32): void {
  const msg = rrFallback;
  if (msg) hostLog(LOG_WARNING, changetype<usize>(msg), msg.byteLength);
}
