// PCG32 (O'Neill): small, fast, good statistics. Seeded once from the host (random_u32),
// or fixed by sv_seed for reproducible tests; never calls the host on the decision path
// after the first number.
import { hostRandom } from "../imports";

const MULTIPLIER: u64 = 6364136223846793005;
const INCREMENT: u64 = 1442695040888963407;

let state: u64 = 0;
let seeded = false;
export let fixedSeed = false;

function step(): void {
  state = state * MULTIPLIER + INCREMENT;
}

export function seedWith(lo: u32, hi: u32): void {
  state = 0;
  step();
  state += (<u64>hi << 32) | <u64>lo;
  step();
  seeded = true;
}

export function seedFixed(lo: u32, hi: u32): void {
  seedWith(lo, hi);
  fixedSeed = true;
}

export function seedFromHost(): void {
  const lo = hostRandom();
  seedWith(lo, hostRandom());
}

// A forked child must not replay its parent's numbers.
export function reseedChild(childNumber: u32): void {
  if (fixedSeed) {
    state ^= <u64>childNumber * 0x9E3779B97F4A7C15;
    step();
  } else {
    seedFromHost();
  }
}

export function nextU32(): u32 {
  if (!seeded) seedFromHost();
  const old = state;
  step();
  const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
  const rot = <u32>(old >> 59);
  return rotr<u32>(xorshifted, rot);
}

// Uniform in [0, n), without modulo bias (Lemire's multiply-and-reject).
export function below(n: u32): u32 {
  let m = <u64>nextU32() * <u64>n;
  let low = <u32>m;
  if (low < n) {
    const threshold: u32 = (<u32>0 - n) % n;
    while (low < threshold) {
      m = <u64>nextU32() * <u64>n;
      low = <u32>m;
    }
  }
  return <u32>(m >> 32);
}
