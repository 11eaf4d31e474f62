// Messages the decision path may have to log. The text is encoded at load time and the line
// number written into a static buffer, so logging allocates nothing.
import { hostLog, LOG_WARNING } from "../imports";

const BUFFER_SIZE: i32 = 256;
const buffer: usize = memory.data(BUFFER_SIZE);
let rrFallback: ArrayBuffer | null = null;

export function prepareNotices(): void {
  rrFallback = String.UTF8.encode(
    ": rr has no shared counter (System V shared memory unavailable); counting round robin per process instead");
}

export function logRrFallback(line: u32): void {
  const text = rrFallback;
  if (!text) return;
  let at = 0;
  const word = "line ";
  for (let i = 0; i < word.length; i++) store<u8>(buffer + at++, <u8>word.charCodeAt(i));
  at = putDecimal(buffer, at, line);
  const n = min(text.byteLength, BUFFER_SIZE - at);
  memory.copy(buffer + at, changetype<usize>(text), n);
  hostLog(LOG_WARNING, buffer, <u32>(at + n));
}

function putDecimal(out: usize, at: i32, v: u32): i32 {
  let digits = 1;
  for (let x = v; x >= 10; x /= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(out + at + i, <u8>(0x30 + v % 10));
    v /= 10;
  }
  return at + digits;
}
