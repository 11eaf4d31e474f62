// Where an Engine's `rr:ABC` rules take their turns (the engine's `rr_next` import).
//
// The preload library keeps one counter per configuration line in System V shared memory,
// so every process reading the same file shares the round robin (docs/shim.md). A Node
// process can share those counters only through the native addon; without it an Engine
// counts on its own. This module is the seam between the two: an RrCounterProvider makes
// the counters of one loaded configuration, and the default provider is the one every
// Engine uses unless its LoadOptions name another.

/** The counters of one loaded configuration. */
export interface RrCounters {
  /**
   * 'host': shared with every process that uses the same configuration file, preloaded
   * programs included; 'process': this Engine's own.
   */
  readonly scope: 'host' | 'process';
  /**
   * The counter of configuration line `line` before it is incremented (created with the
   * permission bits `perm` if it is new), or 0xFFFFFFFF when there is none to be had; the
   * engine then counts that rule per process and logs it once.
   */
  next(line: number, perm: number): number;
}

/** What a provider knows about the configuration: the file it came from, if any. */
export interface RrConfigIdentity {
  /** The path Engine.open read; undefined for Engine.load(text). */
  file?: string;
}

/** Makes the counters of one configuration (called once per Engine, while loading). */
export type RrCounterProvider = (config: RrConfigIdentity) => RrCounters;

/** Counters in this Engine only: each line starts at 0, as a new shared counter does. */
export function processCounters(): RrCounters {
  const counters = new Map<number, number>();
  return {
    scope: 'process',
    next(line) {
      const value = counters.get(line) ?? 0;
      counters.set(line, (value + 1) >>> 0);
      return value;
    },
  };
}

const perProcess: RrCounterProvider = () => processCounters();
let defaultProvider: RrCounterProvider = perProcess;

/**
 * Sets the provider that every Engine loaded afterwards uses by default; null restores
 * per-process counting. The native addon installs its host-wide provider here.
 */
export function setDefaultRrProvider(provider: RrCounterProvider | null): void {
  defaultProvider = provider ?? perProcess;
}

export function defaultRrProvider(): RrCounterProvider {
  return defaultProvider;
}

let perProcessNoticeGiven = false;

/** The notice that rr counts per process, due once per process: true the first time only. */
export function takePerProcessNotice(): boolean {
  if (perProcessNoticeGiven) return false;
  perProcessNoticeGiven = true;
  return true;
}

export const PER_PROCESS_NOTICE =
  'rr:ABC rules count round robin in this process only: the src-vipa native addon that shares ' +
  'the counters with other processes (and with programs started through src_vipa.sh) is not loaded';
