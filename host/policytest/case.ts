// The policy test case format (docs/policy-tests.md; schema/policy-test.schema.json): a
// configuration, the host names it may use, and steps that ask the engine and say what
// it must answer. Reading checks every key and value, so that a typo fails loudly instead
// of making a step check nothing.
import { DIAGNOSTIC_CODES, type DiagnosticName, type Severity } from '../abi.js';
import type { Family } from '../engine.js';
import { CaseError } from '../errors.js';
import type { ResolveTable } from '../resolve.js';

/** What a decision must be; every field given must match. */
export interface Expectation {
  code?: 'pass' | 'bind' | 'keep';
  source?: string;
  /** The source is one of these addresses, or inside one of these prefixes (ADDR/LEN). */
  sourceIn?: string[];
  line?: number;
  rule?: number;
  index?: number;
  family?: Family;
  mapped?: boolean;
  counted?: boolean;
  stable?: boolean;
  policy?: string;
}

export interface ConnectStep {
  kind: 'connect';
  /** An address, or a host name of the case's hosts. */
  connect: string;
  port: number;
  proto?: 'tcp' | 'udp';
  /** For a host name: the first address of this family. */
  family?: Family;
}
export interface BindStep { kind: 'bind'; bind: number; family: Family; dualstack: boolean }
export type QueryStep = (ConnectStep | BindStep) & {
  /** One expectation per decision, or one for each of `count` decisions. */
  expect: Expectation[] | Expectation | null;
  /** `count` decisions whose sources follow this cyclic order, from any starting point. */
  cycle?: string[];
  count?: number;
};
export interface ReleaseStep { kind: 'release'; release: [rule: number, index: number] }
export interface ForkStep { kind: 'fork'; fork: 'prepare' | 'child' }
export type Step = QueryStep | ReleaseStep | ForkStep;

export interface ExpectedDiagnostic { line: number; severity: Severity; code: DiagnosticName }

export interface PolicyCase {
  /** The file it was read from (as given). */
  file: string;
  name: string;
  /** The configuration text; undefined: the --config file or the library's default. */
  config?: string;
  hosts: ResolveTable;
  seed?: [lo: number, hi: number];
  /** All the diagnostics the configuration must have; undefined: not checked. */
  diagnostics?: ExpectedDiagnostic[];
  steps: Step[];
}

const CASE_KEYS = ['$schema', 'name', 'description', 'comment', 'config', 'hosts', 'resolve', 'seed', 'diagnostics', 'steps'];
const QUERY_KEYS = ['comment', 'expect', 'cycle', 'count'];
const STEP_KEYS: Record<Step['kind'], string[]> = {
  connect: ['connect', 'port', 'proto', 'family', ...QUERY_KEYS],
  bind: ['bind', 'family', 'dualstack', ...QUERY_KEYS],
  release: ['release', 'comment'],
  fork: ['fork', 'comment'],
};
const EXPECT_KEYS = ['code', 'source', 'sourceIn', 'line', 'rule', 'index', 'family', 'mapped', 'counted', 'stable', 'policy'];
/** More decisions than this in one step is a mistake, not a test. */
export const MAX_DECISIONS = 1_000_000;

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInteger(v: Json, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function isAddress(text: string): boolean {
  return /^[0-9a-fA-F.:]+$/.test(text) && (text.includes('.') || text.includes(':'));
}

/** Reads a case file's text; `file` names it in the messages. */
export function parseCase(text: string, file: string): PolicyCase {
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CaseError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const at = (where: string) => (where ? `${file}: ${where}` : file);
  const fail = (where: string, what: string): never => { throw new CaseError(`${at(where)}: ${what}`); };
  if (!isObject(raw)) return fail('', 'a case is a JSON object with "name" and "steps"');
  unknownKeys(raw, CASE_KEYS, '', fail);
  if (typeof raw.name !== 'string' || !raw.name) fail('', '"name" must be a non-empty string');
  if (raw.hosts !== undefined && raw.resolve !== undefined) fail('', 'give "hosts" only ("resolve" is its older name)');
  return {
    file,
    name: raw.name as string,
    ...readConfig(raw.config, fail),
    hosts: readHosts(raw.hosts ?? raw.resolve, fail),
    ...readSeed(raw.seed, fail),
    ...(raw.diagnostics === undefined ? {} : { diagnostics: readDiagnostics(raw.diagnostics, fail) }),
    steps: readSteps(raw.steps, fail),
  };
}

type Fail = (where: string, what: string) => never;

function unknownKeys(object: Record<string, Json>, known: string[], where: string, fail: Fail): void {
  const unknown = Object.keys(object).filter((k) => !known.includes(k));
  if (unknown.length) fail(where, `unknown key "${unknown[0]}" (known: ${known.filter((k) => k !== '$schema').join(', ')})`);
}

function readConfig(config: Json, fail: Fail): { config?: string } {
  if (config === undefined) return {};
  if (typeof config === 'string') return { config };
  if (Array.isArray(config) && config.every((l) => typeof l === 'string')) return { config: `${config.join('\n')}\n` };
  return fail('config', 'must be the configuration text, or an array of its lines');
}

function readHosts(hosts: Json, fail: Fail): ResolveTable {
  if (hosts === undefined) return {};
  if (!isObject(hosts)) return fail('hosts', 'must map host names to arrays of addresses (or "fail")');
  for (const [name, value] of Object.entries(hosts)) {
    const ok = value === 'fail' || (Array.isArray(value) && value.every((a) => typeof a === 'string' && isAddress(a)));
    if (!ok) fail(`hosts: ${name}`, 'must be an array of IP addresses, or "fail" for a name that does not resolve');
  }
  return hosts as ResolveTable;
}

function readSeed(seed: Json, fail: Fail): { seed?: [number, number] } {
  if (seed === undefined) return {};
  if (Array.isArray(seed) && seed.length === 2 && seed.every((v) => isInteger(v, 0, 0xffffffff))) {
    return { seed: [seed[0] as number, seed[1] as number] };
  }
  if (isInteger(seed, 0, Number.MAX_SAFE_INTEGER)) {
    return { seed: [seed % 2 ** 32, Math.floor(seed / 2 ** 32)] };
  }
  return fail('seed', 'must be a whole number (at most 2^53-1) or [LOW, HIGH] 32-bit halves');
}

function readDiagnostics(diagnostics: Json, fail: Fail): ExpectedDiagnostic[] {
  if (!Array.isArray(diagnostics)) return fail('diagnostics', 'must be an array of {"line", "severity", "code"}');
  return diagnostics.map((d, i) => {
    const where = `diagnostics[${i}]`;
    if (!isObject(d)) return fail(where, 'must be {"line", "severity", "code"}');
    unknownKeys(d, ['line', 'severity', 'code'], where, fail);
    if (!isInteger(d.line, 0, 2 ** 32 - 1)) fail(where, '"line" must be a line number (0: the whole file)');
    if (d.severity !== 'error' && d.severity !== 'warning' && d.severity !== 'note') {
      fail(where, '"severity" must be "error", "warning" or "note"');
    }
    if (typeof d.code !== 'string' || !(d.code in DIAGNOSTIC_CODES)) {
      fail(where, `"code" must be one of ${Object.keys(DIAGNOSTIC_CODES).join(', ')}`);
    }
    return { line: d.line as number, severity: d.severity as Severity, code: d.code as DiagnosticName };
  });
}

function readSteps(steps: Json, fail: Fail): Step[] {
  if (!Array.isArray(steps) || !steps.length) return fail('steps', 'must be a non-empty array');
  return steps.map((raw, i) => readStep(raw, `step ${i + 1}`, fail));
}

function kindOf(step: Record<string, Json>): Step['kind'] | undefined {
  return (['connect', 'bind', 'release', 'fork'] as const).find((k) => k in step);
}

function readStep(raw: Json, where: string, fail: Fail): Step {
  if (!isObject(raw)) return fail(where, 'a step is an object with "connect", "bind", "release" or "fork"');
  const kind = kindOf(raw);
  if (!kind) return fail(where, 'a step needs "connect", "bind", "release" or "fork"');
  unknownKeys(raw, STEP_KEYS[kind], where, fail);
  if (kind === 'release') {
    const r = raw.release;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => isInteger(v, 0, 2 ** 32 - 1))) {
      fail(where, '"release" must be [RULE, INDEX]');
    }
    return { kind, release: r as [number, number] };
  }
  if (kind === 'fork') {
    if (raw.fork !== 'prepare' && raw.fork !== 'child') fail(where, '"fork" must be "prepare" or "child"');
    return { kind, fork: raw.fork as 'prepare' | 'child' };
  }
  const family = raw.family;
  if (family !== undefined && family !== 4 && family !== 6) fail(where, '"family" must be 4 or 6');
  const expectations = readExpectations(raw, where, fail);
  if (kind === 'connect') {
    if (typeof raw.connect !== 'string' || !raw.connect) fail(where, '"connect" must be an address or a host name');
    if (raw.port !== undefined && !isInteger(raw.port, 0, 65535)) fail(where, '"port" must be a port number (0-65535)');
    if (raw.proto !== undefined && raw.proto !== 'tcp' && raw.proto !== 'udp') fail(where, '"proto" must be "tcp" or "udp"');
    return {
      kind, connect: raw.connect as string, port: (raw.port as number | undefined) ?? 0,
      ...(raw.proto ? { proto: raw.proto as 'tcp' | 'udp' } : {}),
      ...(family ? { family: family as Family } : {}),
      ...expectations,
    };
  }
  if (!isInteger(raw.bind, 0, 65535)) fail(where, '"bind" must be a port number (0-65535)');
  if (raw.dualstack !== undefined && typeof raw.dualstack !== 'boolean') fail(where, '"dualstack" must be true or false');
  if (raw.dualstack && family !== 6) fail(where, '"dualstack" goes with "family": 6');
  return {
    kind, bind: raw.bind as number, family: (family as Family | undefined) ?? 4, dualstack: raw.dualstack === true,
    ...expectations,
  };
}

function readExpectations(raw: Record<string, Json>, where: string, fail: Fail):
    Pick<QueryStep, 'expect' | 'cycle' | 'count'> {
  const { expect, cycle, count } = raw;
  if (expect === undefined && cycle === undefined) fail(where, 'a query needs "expect" or "cycle"');
  if (cycle !== undefined) {
    if (!Array.isArray(cycle) || !cycle.length || !cycle.every((s) => typeof s === 'string')) {
      fail(where, '"cycle" must be a non-empty array of sources');
    }
    if (!isInteger(count, 1, MAX_DECISIONS)) fail(where, `"cycle" needs "count", the number of decisions (1-${MAX_DECISIONS})`);
    if (Array.isArray(expect)) fail(where, 'with "cycle", "expect" is one object that every decision must match');
  } else if (count !== undefined) {
    if (Array.isArray(expect)) fail(where, '"count" goes with one "expect" object, not a list');
    if (!isInteger(count, 1, MAX_DECISIONS)) fail(where, `"count" must be 1-${MAX_DECISIONS}`);
  }
  const list = Array.isArray(expect) ? expect : expect === undefined ? [] : [expect];
  if (Array.isArray(expect) && !expect.length) fail(where, '"expect" must not be an empty list');
  list.forEach((e, i) => readExpectation(e, Array.isArray(expect) ? `${where}: expect[${i}]` : `${where}: expect`, fail));
  return {
    expect: (expect ?? null) as QueryStep['expect'],
    ...(cycle ? { cycle: cycle as string[] } : {}),
    ...(count !== undefined ? { count: count as number } : {}),
  };
}

function readExpectation(e: Json, where: string, fail: Fail): void {
  if (!isObject(e)) return fail(where, 'must be an object of the fields the decision must have');
  unknownKeys(e, EXPECT_KEYS, where, fail);
  const check = (key: string, ok: (v: Json) => boolean, what: string) => {
    if (e[key] !== undefined && !ok(e[key])) fail(where, `"${key}" must be ${what}`);
  };
  check('code', (v) => v === 'pass' || v === 'bind' || v === 'keep', '"pass", "bind" or "keep"');
  check('source', (v) => typeof v === 'string' && isAddress(v), 'an IP address');
  check('sourceIn', (v) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && isAddress(s.split('/')[0])),
    'a non-empty array of addresses or prefixes (ADDR/LEN)');
  for (const key of ['line', 'rule', 'index']) check(key, (v) => isInteger(v, 0, 2 ** 32 - 1), 'a whole number');
  check('family', (v) => v === 4 || v === 6, '4 or 6');
  for (const key of ['mapped', 'counted', 'stable']) check(key, (v) => typeof v === 'boolean', 'true or false');
  check('policy', (v) => typeof v === 'string', 'a policy such as "lrr" or "rr:600"');
}

/** How many decisions a query step makes. */
export function decisionsOf(step: QueryStep): number {
  if (step.cycle || step.count !== undefined) return step.count ?? 1;
  return Array.isArray(step.expect) ? step.expect.length : 1;
}
