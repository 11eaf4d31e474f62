// Runs a policy test case on a fresh Engine: its steps in order, each decision compared
// with what the step expects. `src-vipa test` and the project's own test of the shared
// cases (test/cases.test.ts, which also replays the decisions on the native driver) both
// run cases through here.
import type { DiagnosticName, Severity } from '../abi.js';
import { describeRule } from '../commands/explain.js';
import { type Decision, Engine, type Family, type Query } from '../engine.js';
import { type Resolver, systemResolver, tableResolver } from '../resolve.js';
import { processCounters } from '../rr.js';
import { decisionsOf, type Expectation, type PolicyCase, type QueryStep } from './case.js';

export interface RunOptions {
  /** The configuration of a case without one: its bytes, and how messages name it. */
  config?: { bytes: Uint8Array; name: string };
  /** The seed of a case without one. */
  seed?: [lo: number, hi: number];
  /** Host names missing from the case's hosts are looked up (default: they do not exist). */
  resolve?: boolean;
  /** The resolver `resolve` uses; default: the system resolver. */
  resolver?: Resolver;
  /** The engine's random_u32 (the project's tests check that no case depends on it). */
  random?: () => number;
  wasmPath?: string;
}

export interface StepResult {
  /** The step's number in the case (1-based, counting every step). */
  step: number;
  /** What the step asks: "connect 10.1.2.3 port 443/tcp", "bind :: port 80 (dual-stack)". */
  label: string;
  ok: boolean;
  /** What did not hold, one line each. */
  problems: string[];
  /** The query the step asked (null when its host name did not resolve). */
  query: Query | null;
  /** The decisions the step made, in order. */
  decisions: Decision[];
}

export interface CaseResult {
  case: PolicyCase;
  /** "the case" or the configuration file used. */
  configName: string;
  engine: Engine;
  /** The check of the case's `diagnostics`, when it has them. */
  diagnostics?: { ok: boolean; problems: string[] };
  /** One result per query step, in order. */
  steps: StepResult[];
  ok: boolean;
}

/** Loads the case's configuration and runs its steps. */
export async function runCase(c: PolicyCase, options: RunOptions = {}): Promise<CaseResult> {
  const table = tableResolver(c.hosts);
  const resolver: Resolver = options.resolve
    ? async (name) => (hasHost(c, name) ? table(name) : (options.resolver ?? systemResolver)(name))
    : table;
  const bytes = c.config !== undefined ? new TextEncoder().encode(c.config) : options.config?.bytes;
  if (!bytes) throw new Error(`${c.file}: the case has no "config", and no configuration file was given`);
  const seed = c.seed ?? options.seed;
  const engine = await Engine.load(bytes, {
    resolver,
    rrCounters: processCounters(),
    onLog: () => {},
    ...(seed ? { seed } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.wasmPath ? { wasmPath: options.wasmPath } : {}),
  });
  const addresses = await destinations(c, resolver, engine);
  const diagnostics = c.diagnostics && compareDiagnostics(c.diagnostics, engine);
  const steps: StepResult[] = [];
  c.steps.forEach((step, i) => {
    if (step.kind === 'release') engine.release(...step.release);
    else if (step.kind === 'fork') (step.fork === 'prepare' ? engine.forkPrepare() : engine.forkChild());
    else steps.push(runQuery(engine, step, i + 1, addresses.get(i)));
  });
  return {
    case: c,
    configName: c.config !== undefined ? 'the case' : options.config!.name,
    engine,
    ...(diagnostics ? { diagnostics } : {}),
    steps,
    ok: (diagnostics?.ok ?? true) && steps.every((s) => s.ok),
  };
}

function hasHost(c: PolicyCase, name: string): boolean {
  return Object.keys(c.hosts).some((h) => h.toLowerCase() === name.toLowerCase());
}

type Resolved = { address: string } | { problem: string };

// The address each connect step asks about: itself, or its host name's first address (of
// the step's family).
async function destinations(c: PolicyCase, resolver: Resolver, probe: Engine): Promise<Map<number, Resolved>> {
  const found = new Map<number, Resolved>();
  await Promise.all(c.steps.map(async (step, i) => {
    if (step.kind !== 'connect') return;
    if (probe.parseAddress(step.connect)) {
      found.set(i, { address: step.connect });
      return;
    }
    try {
      const all = await resolver(step.connect);
      const first = all.find((a) => {
        const parsed = probe.parseAddress(a);
        return parsed && (!step.family || parsed.family === step.family);
      });
      found.set(i, first ? { address: first } : { problem: `'${step.connect}' has no ${step.family ? `IPv${step.family} ` : ''}address` });
    } catch {
      found.set(i, { problem: `'${step.connect}' does not resolve: add it to the case's "hosts"${hasHost(c, step.connect) ? '' : ' (or give --resolve)'}` });
    }
  }));
  return found;
}

function label(step: QueryStep, address?: string): string {
  if (step.kind === 'bind') {
    const wildcard = step.family === 6 ? '::' : '0.0.0.0';
    return `bind ${wildcard} port ${step.bind}${step.family === 6 ? (step.dualstack ? ' (dual-stack)' : ' (IPv6 only)') : ''}`;
  }
  const dest = address && address !== step.connect ? `${step.connect} (${address})` : step.connect;
  return `connect ${dest}${step.port ? ` port ${step.port}` : ''}${step.proto ? `${step.port ? '/' : ' '}${step.proto}` : ''}`;
}

function runQuery(engine: Engine, step: QueryStep, number: number, resolved: Resolved | undefined): StepResult {
  if (resolved && 'problem' in resolved) {
    return { step: number, label: label(step), ok: false, problems: [resolved.problem], query: null, decisions: [] };
  }
  const query: Query = step.kind === 'connect'
    ? { kind: 'connect', address: resolved!.address, port: step.port, ...(step.proto ? { proto: step.proto } : {}) }
    : { kind: 'bind', port: step.bind, family: step.family, dualstack: step.dualstack };
  const count = decisionsOf(step);
  const decisions = Array.from({ length: count }, () => engine.select(query));
  const one = Array.isArray(step.expect) ? null : step.expect ?? {};
  const expected = Array.isArray(step.expect) ? step.expect : decisions.map(() => one!);
  const problems: string[] = [];
  decisions.forEach((d, k) => {
    const wrong = mismatches(engine, expected[k], d);
    if (wrong.length) {
      const which = count > 1 ? `decision ${k + 1} of ${count}: ` : '';
      problems.push(`${which}expected ${wrong.join(', ')}; the engine answered ${describe(engine, d)}`);
    }
  });
  if (step.cycle) problems.push(...cycleProblems(step.cycle, decisions));
  return { step: number, label: label(step, resolved?.address), ok: !problems.length, problems, query, decisions };
}

type Field = keyof Expectation;

// "source 192.0.2.25, got 192.0.2.10" for each field that does not hold.
function mismatches(engine: Engine, want: Expectation, d: Decision): string[] {
  const wrong: string[] = [];
  for (const key of Object.keys(want) as Field[]) {
    if (key === 'sourceIn') {
      const source = d.code === 'pass' ? undefined : d.source;
      if (!source || !want.sourceIn!.some((s) => covers(engine, s, source))) {
        wrong.push(`a source in ${want.sourceIn!.join(', ')}, got ${source ?? 'none'}`);
      }
      continue;
    }
    const got = (d as unknown as Record<string, unknown>)[key];
    if (got !== want[key]) wrong.push(`${key} ${String(want[key])}, got ${got === undefined ? 'none' : String(got)}`);
  }
  return wrong;
}

/** What the engine answered, with the rule's line. */
export function describe(engine: Engine, d: Decision): string {
  if (d.code === 'pass') return 'no rule (the call is left alone)';
  const rule = engine.rule(d.rule);
  const where = `line ${d.line}${rule ? `: ${describeRule(rule)}` : ''}, ${d.policy}`;
  return d.code === 'keep' ? `the wildcard ${d.source}, left alone (${where})` : `${d.source} (${where})`;
}

function cycleProblems(cycle: string[], decisions: Decision[]): string[] {
  const sources = decisions.map((d) => (d.code === 'pass' ? 'pass' : d.source));
  const start = cycle.indexOf(sources[0]);
  const follows = start >= 0 && sources.every((s, k) => s === cycle[(start + k) % cycle.length]);
  return follows ? [] : [`sources ${sources.slice(0, 12).join(' ')}${sources.length > 12 ? ' …' : ''} do not follow the cycle ${cycle.join(' ')}`];
}

// The address equals `spec`, or is inside the prefix `spec` (an IPv4-mapped address is
// inside the IPv4 prefixes of its IPv4 address).
function covers(engine: Engine, spec: string, address: string): boolean {
  const [network, length] = spec.split('/');
  const a = engine.parseAddress(address);
  const n = engine.parseAddress(network);
  if (!a || !n) return false;
  let bytes = a.bytes;
  let family: Family = a.family;
  if (family === 6 && n.family === 4 && isMapped(bytes)) {
    bytes = Uint8Array.from([...bytes.slice(12, 16), ...new Uint8Array(12)]);
    family = 4;
  }
  if (family !== n.family) return false;
  const bits = length === undefined ? (family === 4 ? 32 : 128) : Number(length);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((bytes[i >> 3] & mask) !== (n.bytes[i >> 3] & mask)) return false;
  }
  return true;
}

function isMapped(bytes: Uint8Array): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

type Key = { line: number; severity: Severity; code: DiagnosticName };

function compareDiagnostics(expected: Key[], engine: Engine): { ok: boolean; problems: string[] } {
  const text = (d: Key) => `line ${d.line} ${d.severity} ${d.code}`;
  const got = engine.diagnostics();
  const left = got.map((d) => ({ key: text(d), message: d.message }));
  const problems: string[] = [];
  for (const want of expected) {
    const at = left.findIndex((d) => d.key === text(want));
    if (at >= 0) left.splice(at, 1);
    else problems.push(`expected the diagnostic ${text(want)}; the engine gave none such`);
  }
  for (const extra of left) problems.push(`the engine gave the diagnostic ${extra.key} (${extra.message}), which the case does not expect`);
  return { ok: !problems.length, problems };
}
