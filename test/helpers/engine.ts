// Shared by the test files: loading without DNS, short forms of the queries, and a
// seeded generator for test data.
import { type Decision, type Diagnostic, Engine, type LoadOptions, type RuleDecision } from '../../host/engine.js';
import { type ResolveTable, tableResolver } from '../../host/resolve.js';

export type TestLoadOptions = Omit<LoadOptions, 'resolver'> & { resolve?: ResolveTable };

/**
 * Loads `config`; host names resolve from `resolve` only (a missing name does not exist).
 * The engine's messages are dropped unless `onLog` is given.
 */
export function load(config: string | Uint8Array, options: TestLoadOptions = {}): Promise<Engine> {
  const { resolve = {}, ...rest } = options;
  return Engine.load(config, { onLog: () => {}, ...rest, resolver: tableResolver(resolve) });
}

/** The diagnostics without their messages, for comparing with a table. */
export function diagnosticsOf(engine: Engine): Pick<Diagnostic, 'line' | 'column' | 'severity' | 'name'>[] {
  return engine.diagnostics().map(({ line, column, severity, name }) => ({ line, column, severity, name }));
}

export function connect(engine: Engine, address: string, port = 0): Decision {
  return engine.select({ kind: 'connect', address, port, proto: 'tcp' });
}

export function bind(engine: Engine, port: number, family: 4 | 6 = 4, dualstack = false): Decision {
  return engine.select({ kind: 'bind', port, family, dualstack });
}

/** A decision that must have come from a rule. */
export function ruled(decision: Decision): RuleDecision {
  if (decision.code === 'pass') throw new Error('expected a rule to answer, but the call passes through');
  return decision;
}

/** The source of a connect, or 'pass'. */
export function sourceFor(engine: Engine, address: string): string {
  const d = connect(engine, address);
  return d.code === 'pass' ? 'pass' : d.source;
}

/** Source indexes of `n` connects in a row. */
export function picks(engine: Engine, address: string, n: number): number[] {
  return Array.from({ length: n }, () => ruled(connect(engine, address)).index);
}

/** A small deterministic generator (mulberry32) for test data; not the engine's. */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * For assert.throws: uvu calls a function argument as a predicate, so a bare error class
 * would pass for any error (TypeError(e) is truthy). This checks the class.
 */
export function isA(type: new (...args: never[]) => Error): (error: unknown) => boolean {
  return (error) => error instanceof type;
}
