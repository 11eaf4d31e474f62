// The Node host of the policy engine (build/engine.wasm, ABI in docs/abi.md). Every
// decision comes from the engine; this class only marshals text and numbers in and out.
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  ABI_MAJOR, DIAG_CODE, DIAG_COLUMN, DIAG_LINE, DIAG_MESSAGE_LEN, DIAG_MESSAGE_PTR,
  DIAG_SEVERITY, DIAGNOSTIC_NAMES, type DiagnosticName, type EngineExports, F_DUALSTACK,
  KIND_BIND, KIND_CONNECT, MAX_MEMORY, P_RR, POLICIES, PROTOCOLS, REASON_NOT_FOUND, REASON_OTHER,
  RES_ADDR, RES_FAMILY, RES_FLAGS, RES_INDEX, RES_LINE, RES_POLICY, RES_RULE, RF_COUNTED,
  RF_MAPPED, RF_STABLE, RULE_DEST_PTR, RULE_FAMILY, RULE_KIND, RULE_KIND_DEST, RULE_LC_TOTAL, RULE_LINE,
  RULE_PERM, RULE_POLICY, RULE_PORT_HI, RULE_PORT_LO, RULE_PREFIX, RULE_SHADOWED_BY,
  RULE_SRC_COUNT, SCRATCH_SIZE, type Severity, SEVERITIES, SV_BIND, SV_KEEP, SV_PASS,
} from './abi.js';
import { AbiError, AddressError, ConfigError, EngineError, fileProblem } from './errors.js';
import { failureReason, type Resolver, systemResolver } from './resolve.js';
import {
  defaultRrProvider, PER_PROCESS_NOTICE, type RrCounters, takePerProcessNotice,
} from './rr.js';

export type Family = 4 | 6;

export interface LoadOptions {
  /** Resolves the host names of the configuration; default: the system resolver. */
  resolver?: Resolver;
  /** Fixes the engine's random generator (sv_seed) before loading, for reproducible runs. */
  seed?: readonly [lo: number, hi: number];
  /** The engine module; default: build/engine.wasm of this package. */
  wasmPath?: string;
  /**
   * Receives the engine's log messages and the host's notices (syslog levels: 3 error,
   * 4 warning, 6 info, 7 debug). Default: warnings and errors become process warnings
   * (process.emitWarning, type 'SrcVipaWarning'); with SRC_VIPA_DEBUG set, every message
   * goes to standard error instead.
   */
  onLog?: (level: number, message: string) => void;
  /** The engine's `random_u32` import; default: node:crypto. */
  random?: () => number;
  /**
   * The counters of the `rr:ABC` rules (the engine's `rr_next` import). Default: what the
   * default provider of host/rr.ts makes: host-wide with the native addon, else this
   * Engine's own (said once per process through `onLog`).
   */
  rrCounters?: RrCounters;
}

export interface Diagnostic {
  line: number;
  column: number;
  severity: Severity;
  /** The same names as the CLI's JSON: 'SYNTAX', 'BAD_POLICY', 'SHADOWED', ... */
  code: DiagnosticName;
  /** The same as `code` (its name in version 0.1). */
  name: DiagnosticName;
  /** The number of the code in the engine ABI (docs/abi.md). */
  abiCode: number;
  message: string;
}

/** A socket about to connect or send to `address`, or a bind of the wildcard address. */
export type Query =
  | { kind: 'connect'; address: string; port?: number; proto?: 'tcp' | 'udp' }
  | { kind: 'bind'; port: number; family: Family; dualstack?: boolean };

/** What a rule decided: bind to `source`, or keep the wildcard (`source` is 0.0.0.0 or ::). */
export interface RuleDecision {
  code: 'bind' | 'keep';
  rule: number;
  index: number;
  family: Family;
  source: string;
  line: number;
  policy: string;
  /** An IPv4 rule answered an IPv6 socket: `source` is ::ffff:a.b.c.d. */
  mapped: boolean;
  /** An `lc` count was taken: call release(rule, index) when the socket is gone. */
  counted: boolean;
  /** The same query will always get this same answer (one source, nothing counted). */
  stable: boolean;
}

/** `pass`: no rule for this destination or port (`stable`: always so, the rules never change). */
export type Decision = { code: 'pass'; stable: boolean } | RuleDecision;

interface RuleBase {
  id: number;
  line: number;
  family: Family;
  /** 'onevipa', 'random', 'lrr', 'lc', or 'rr:' and the three octal permission digits. */
  policy: string;
  sources: string[];
  /** The later line that replaces this rule for every destination, or null. */
  shadowedBy: number | null;
  /** Sockets currently counted by an `lc` rule. */
  connections: number;
}
export interface DestinationRule extends RuleBase { kind: 'dest'; network: string; prefix: number }
export interface BindRule extends RuleBase { kind: 'bind'; ports: [first: number, last: number] }
export type Rule = DestinationRule | BindRule;

const DEFAULT_WASM = fileURLToPath(new URL('../build/engine.wasm', import.meta.url));
const EXPORT_NAMES: readonly (keyof EngineExports)[] = [
  'memory', 'sv_abi_version', 'sv_input', 'sv_parse', 'sv_name_ptr', 'sv_name_len', 'sv_answer',
  'sv_answer_error', 'sv_finalize', 'sv_seed', 'sv_diag_count', 'sv_diag_ptr', 'sv_select',
  'sv_result_ptr', 'sv_release', 'sv_fork_prepare', 'sv_fork_child', 'sv_rule_count',
  'sv_rule_ptr', 'sv_source_ptr', 'sv_scratch_ptr', 'sv_addr_parse', 'sv_addr_format',
];
const LOAD_ERRORS: Record<number, string> = {
  [-1]: 'called out of order', [-2]: 'bad arguments',
  [-3]: 'out of memory (the configuration is too large for the engine\'s 256 MiB; see LIMITS in src_vipa(8))',
};

function loadFailure(call: string, status: number): EngineError {
  return new EngineError(`the engine could not load the configuration: ${call}: ${LOAD_ERRORS[status] ?? status}`);
}
const LOG_LEVELS: Record<number, string> = { 3: 'error', 4: 'warning', 6: 'info', 7: 'debug' };

// Compiling is the slow part; every load makes its own instance of the one module.
const modules = new Map<string, WebAssembly.Module>();

function compile(path: string): WebAssembly.Module {
  let module = modules.get(path);
  if (!module) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new AbiError(`cannot read the engine ${path}: ${fileProblem(error)} ` +
        `(${(error as NodeJS.ErrnoException).code}): build it (make engine) or reinstall src-vipa`, { cause: error });
    }
    try {
      module = new WebAssembly.Module(bytes);
    } catch (error) {
      throw new AbiError(`${path} is not a WebAssembly module: ${(error as Error).message}`, { cause: error });
    }
    modules.set(path, module);
  }
  return module;
}

function cryptoRandom(): number {
  return randomFillSync(new Uint32Array(1))[0];
}

function debugging(): boolean {
  const debug = process.env.SRC_VIPA_DEBUG;
  return debug !== undefined && debug !== '' && debug !== '0';
}

/** Writes a message to standard error when SRC_VIPA_DEBUG is set (the CLI's logger). */
export function debugLog(level: number, message: string): void {
  if (debugging()) process.stderr.write(`src-vipa: ${LOG_LEVELS[level] ?? level}: ${message}\n`);
}

function defaultLog(level: number, message: string): void {
  if (debugging()) debugLog(level, message);
  else if (level <= 4) process.emitWarning(message, { type: 'SrcVipaWarning' });
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AddressError(`port ${port} is not a port number (0-65535)`);
  }
  return port;
}

/** The file the preload library reads: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf. */
export function defaultConfigFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.SRC_VIPA_CONFIG_FILE || DEFAULT_CONFIG_FILE;
}
export const DEFAULT_CONFIG_FILE = '/etc/src_vipa.conf';

/**
 * One loaded configuration. Each load makes a fresh WebAssembly instance: the engine
 * allocates while loading and never again, so an instance holds exactly one configuration.
 * Not re-entrant, like the engine; everything but loading is synchronous.
 */
export class Engine {
  readonly #x: EngineExports;
  readonly #result: number;
  readonly #scratch: number;
  readonly #rrScope: 'host' | 'process';
  readonly #file: string | undefined;
  #view: DataView;
  #diagnostics: Diagnostic[] = [];
  #broken: Error | null = null;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  private constructor(exports: EngineExports, rrScope: 'host' | 'process', file: string | undefined) {
    this.#x = exports;
    this.#view = new DataView(exports.memory.buffer);
    this.#result = exports.sv_result_ptr();
    this.#scratch = exports.sv_scratch_ptr();
    this.#rrScope = rrScope;
    this.#file = file;
  }

  /**
   * Reads and loads a configuration file, as the preload library does: `path`, else
   * $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf. A file that cannot be read is a
   * ConfigError (code ERR_SV_CONFIG) saying why in plain words.
   */
  static async open(path?: string, options: LoadOptions = {}): Promise<Engine> {
    const file = path ?? defaultConfigFile();
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new ConfigError(`cannot read ${file}: ${fileProblem(error)}`, file, { cause: error });
    }
    return Engine.#load(bytes, options, file);
  }

  /** Loads configuration text (or its bytes): parse, resolve its host names, finalize. */
  static async load(config: string | Uint8Array, options: LoadOptions = {}): Promise<Engine> {
    return Engine.#load(typeof config === 'string' ? new TextEncoder().encode(config) : config, options, undefined);
  }

  static async #load(bytes: Uint8Array, options: LoadOptions, file: string | undefined): Promise<Engine> {
    const onLog = options.onLog ?? defaultLog;
    const engine = Engine.#instantiate(options, onLog, file);
    const names = engine.#loading('parsing', () => engine.#parse(bytes));
    const resolver = options.resolver ?? systemResolver;
    // all names at once; answers go in afterwards, in name order, so loading is reproducible
    const answers = await Promise.allSettled(names.map((name) => resolver(name)));
    engine.#loading('taking the resolver\'s answers', () => answers.forEach((answer, i) => engine.#answer(i, answer)));
    engine.#loading('building the tables', () => engine.#finalize());
    if (engine.#rrScope === 'process' && engine.#hasRrRule() && takePerProcessNotice()) {
      onLog(4, PER_PROCESS_NOTICE);
    }
    return engine;
  }

  // A trap while loading (docs/abi.md: the instance is broken) said in words: the engine
  // holds a configuration beyond its limits to diagnostics, so a full memory here means
  // one it did not foresee.
  #loading<T>(step: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      const full = this.#x.memory.buffer.byteLength > MAX_MEMORY - (1 << 20);
      throw new EngineError(full
        ? `the engine ran out of memory (${MAX_MEMORY >> 20} MiB) while ${step}: the configuration is beyond its limits (see LIMITS in src_vipa(8)); nothing of it applies`
        : `the engine failed while ${step} (${error.message}); nothing of the configuration applies: please report this with the file`,
      { cause: error });
    }
  }

  static #instantiate(options: LoadOptions, onLog: (level: number, message: string) => void,
                      file: string | undefined): Engine {
    const random = options.random ?? cryptoRandom;
    const rr = options.rrCounters ?? defaultRrProvider()({ file });
    let engine: Engine | undefined;
    const imports = {
      src_vipa: {
        random_u32: () => random() >>> 0,
        rr_next: (line: number, perm: number) => rr.next(line, perm) >>> 0,
        log: (level: number, ptr: number, len: number) => onLog(level, engine ? engine.#text(ptr, len) : ''),
        clock_ms: () => performance.now(),
      },
    };
    const path = options.wasmPath ?? DEFAULT_WASM;
    const module = compile(path);
    // a module of another ABI may need imports this host does not know: say so, not LinkError
    const unknown = WebAssembly.Module.imports(module)
      .filter((i) => !(i.module === 'src_vipa' && i.name in imports.src_vipa))
      .map((i) => `${i.module}.${i.name}`);
    if (unknown.length) {
      throw new AbiError(`${path} needs imports this host does not provide (${unknown.join(', ')}): ` +
        'it was built for another engine ABI; rebuild the engine (make engine) or use a matching src-vipa');
    }
    const instance = new WebAssembly.Instance(module, imports);
    const exports = instance.exports as unknown as EngineExports;
    const missing = EXPORT_NAMES.filter((name) => !(name in exports));
    if (missing.length) throw new AbiError(`${path} is not a src-vipa engine: it lacks ${missing.join(', ')}`);
    const version = exports.sv_abi_version() >>> 0;
    if (version >>> 16 !== ABI_MAJOR) {
      throw new AbiError(`${path} has engine ABI ${version >>> 16}.${version & 0xffff}, but this host ` +
        `needs ABI ${ABI_MAJOR}.x: rebuild the engine (make engine) or use a matching src-vipa`);
    }
    engine = new Engine(exports, rr.scope, file);
    if (options.seed) exports.sv_seed(options.seed[0] >>> 0, options.seed[1] >>> 0);
    return engine;
  }

  #hasRrRule(): boolean {
    for (let id = 0, n = this.#x.sv_rule_count(); id < n; id++) {
      if (this.#u32(this.#x.sv_rule_ptr(id) + RULE_POLICY) === P_RR) return true;
    }
    return false;
  }

  /** The file Engine.open read; undefined for Engine.load(text). */
  get file(): string | undefined {
    return this.#file;
  }

  /**
   * Where `rr:ABC` rules take their turns: 'host' (shared with the other processes that
   * use the same file, through the native addon) or 'process' (this Engine only).
   */
  get rrScope(): 'host' | 'process' {
    return this.#rrScope;
  }

  #parse(bytes: Uint8Array): string[] {
    const at = this.#x.sv_input(bytes.length);
    if (!at) throw new ConfigError(`the configuration is too large (${bytes.length} bytes; at most 64 MiB)`, this.#file);
    new Uint8Array(this.#x.memory.buffer, at, bytes.length).set(bytes);
    const count = this.#x.sv_parse(bytes.length);
    if (count < 0) throw loadFailure('sv_parse', count);
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(this.#text(this.#x.sv_name_ptr(i), this.#x.sv_name_len(i)));
    return names;
  }

  #answer(i: number, answer: PromiseSettledResult<readonly string[]>): void {
    if (answer.status === 'rejected') {
      this.#x.sv_answer_error(i, failureReason(answer.reason));
      return;
    }
    let usable = 0;
    for (const address of answer.value) {
      const family = this.#parseIntoResult(address);
      if (!family) continue; // e.g. a link-local address with a zone id: not usable in a rule
      const [a0, a1, a2, a3] = this.#resultWords();
      const status = this.#x.sv_answer(i, family, a0, a1, a2, a3);
      if (status < 0) throw loadFailure('sv_answer', status);
      usable++;
    }
    if (!usable) this.#x.sv_answer_error(i, answer.value.length ? REASON_OTHER : REASON_NOT_FOUND);
  }

  #finalize(): void {
    const status = this.#x.sv_finalize();
    if (status < 0) throw loadFailure('sv_finalize', status);
    const count = this.#x.sv_diag_count();
    for (let i = 0; i < count; i++) {
      const d = this.#x.sv_diag_ptr(i);
      const code = this.#u32(d + DIAG_CODE);
      const name = DIAGNOSTIC_NAMES[code];
      this.#diagnostics.push({
        line: this.#u32(d + DIAG_LINE),
        column: this.#u32(d + DIAG_COLUMN),
        severity: SEVERITIES[this.#u32(d + DIAG_SEVERITY)],
        code: name,
        name,
        abiCode: code,
        message: this.#text(this.#u32(d + DIAG_MESSAGE_PTR), this.#u32(d + DIAG_MESSAGE_LEN)),
      });
    }
  }

  /** Bytes of engine memory this configuration holds (it grows only while loading). */
  memoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }

  /** Errors, warnings and notes of the configuration, in the engine's order. */
  diagnostics(): Diagnostic[] {
    return this.#diagnostics.map((d) => ({ ...d }));
  }

  /** Decides for one socket, as the preload library would. */
  select(query: Query): Decision {
    this.#check();
    const args = this.#selectArgs(query);
    const code = this.#guard(() => this.#x.sv_select(...args));
    return this.#decision(code);
  }

  /**
   * Makes `count` decisions in a row for one query, as `count` calls of select would,
   * and counts how often each source of the rule was chosen (`counts[index]`). Null when
   * no rule answers the query. `onProgress(done)` is called every million decisions.
   */
  tally(query: Query, count: number,
        onProgress?: (done: number) => void): { first: RuleDecision; counts: number[] } | null {
    this.#check();
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count ${count} is not a positive integer`);
    const args = this.#selectArgs(query);
    const first = this.#decision(this.#guard(() => this.#x.sv_select(...args)));
    if (first.code === 'pass') return null;
    const counts = new Array<number>(this.#u32(this.#x.sv_rule_ptr(first.rule) + RULE_SRC_COUNT)).fill(0);
    counts[first.index]++;
    const select = this.#x.sv_select;
    const [kind, family, a0, a1, a2, a3, port, proto, flags] = args;
    const view = this.#memory();
    const at = this.#result + RES_INDEX;
    this.#guard(() => {
      for (let done = 1; done < count; done++) {
        // the rule answered once; it answers every repetition of the same query
        if (select(kind, family, a0, a1, a2, a3, port, proto, flags) < SV_BIND) throw new EngineError('the engine stopped answering a query it answered before');
        counts[view.getUint32(at, true)]++;
        if (onProgress && done % 1_000_000 === 0) onProgress(done);
      }
    });
    return { first, counts };
  }

  // The arguments of sv_select for a query (checked: an address, a port, a family).
  #selectArgs(query: Query): Parameters<EngineExports['sv_select']> {
    if (query.kind === 'connect') {
      const family = this.#parseIntoResult(query.address);
      if (!family) throw new AddressError(`'${query.address}' is not an IPv4 or IPv6 address`);
      const [a0, a1, a2, a3] = this.#resultWords();
      const proto = query.proto ? PROTOCOLS[query.proto] : 0;
      return [KIND_CONNECT, family, a0, a1, a2, a3, checkPort(query.port ?? 0), proto, 0];
    }
    if (query.family !== 4 && query.family !== 6) throw new AddressError(`family ${query.family} is not 4 or 6`);
    const flags = query.dualstack ? F_DUALSTACK : 0;
    return [KIND_BIND, query.family, 0, 0, 0, 0, checkPort(query.port), 0, flags];
  }

  #decision(code: number): Decision {
    if (code === SV_PASS) {
      return { code: 'pass', stable: (this.#u32(this.#result + RES_FLAGS) & RF_STABLE) !== 0 };
    }
    if (code !== SV_BIND && code !== SV_KEEP) throw new EngineError(`the engine answered sv_select with ${code}`);
    const r = this.#result;
    const rule = this.#u32(r + RES_RULE);
    const family = this.#u32(r + RES_FAMILY) as Family;
    const flags = this.#u32(r + RES_FLAGS);
    return {
      code: code === SV_BIND ? 'bind' : 'keep',
      rule,
      index: this.#u32(r + RES_INDEX),
      family,
      source: this.#formatResult(family),
      line: this.#u32(r + RES_LINE),
      policy: this.#policyName(this.#u32(r + RES_POLICY), this.#u32(this.#x.sv_rule_ptr(rule) + RULE_PERM)),
      mapped: (flags & RF_MAPPED) !== 0,
      counted: (flags & RF_COUNTED) !== 0,
      stable: (flags & RF_STABLE) !== 0,
    };
  }

  /** A socket counted by an `lc` decision (`counted`) is gone. */
  release(rule: number, index: number): void {
    this.#check();
    this.#guard(() => this.#x.sv_release(rule >>> 0, index >>> 0));
  }

  /** As the preload library does in the parent just before fork(). */
  forkPrepare(): void {
    this.#check();
    this.#guard(() => this.#x.sv_fork_prepare());
  }

  /** As the preload library does in the child just after fork(). */
  forkChild(): void {
    this.#check();
    this.#guard(() => this.#x.sv_fork_child());
  }

  /** The rules the configuration produced, in rule-id order. */
  rules(): Rule[] {
    this.#check();
    return Array.from({ length: this.#x.sv_rule_count() }, (_, id) => this.#readRule(id));
  }

  /** Rule `id` (as in a Decision), or null if there is none. */
  rule(id: number): Rule | null {
    this.#check();
    return Number.isInteger(id) && id >= 0 && id < this.#x.sv_rule_count() ? this.#readRule(id) : null;
  }

  #readRule(id: number): Rule {
    const r = this.#x.sv_rule_ptr(id);
    const family = this.#u32(r + RULE_FAMILY) as Family;
    const sources: string[] = [];
    for (let i = 0, n = this.#u32(r + RULE_SRC_COUNT); i < n; i++) {
      sources.push(this.#formatBytes(family, this.#x.sv_source_ptr(id, i)));
    }
    const base: RuleBase = {
      id,
      line: this.#u32(r + RULE_LINE),
      family,
      policy: this.#policyName(this.#u32(r + RULE_POLICY), this.#u32(r + RULE_PERM)),
      sources,
      shadowedBy: this.#u32(r + RULE_SHADOWED_BY) || null,
      connections: this.#u32(r + RULE_LC_TOTAL),
    };
    return this.#u32(r + RULE_KIND) === RULE_KIND_DEST
      ? { ...base, kind: 'dest', network: this.#formatBytes(family, this.#u32(r + RULE_DEST_PTR)), prefix: this.#u32(r + RULE_PREFIX) }
      : { ...base, kind: 'bind', ports: [this.#u32(r + RULE_PORT_LO), this.#u32(r + RULE_PORT_HI)] };
  }

  /** The engine's reading of an address literal (sv_addr_parse), or null if it is none. */
  parseAddress(text: string): { family: Family; bytes: Uint8Array } | null {
    this.#check();
    const family = this.#parseIntoResult(text);
    if (!family) return null;
    return { family, bytes: new Uint8Array(this.#x.memory.buffer.slice(this.#result + RES_ADDR, this.#result + RES_ADDR + 16)) };
  }

  /** The engine's text for 16 address bytes (sv_addr_format): RFC 5952, or a dotted quad. */
  formatAddress(family: Family, bytes: Uint8Array): string {
    this.#check();
    if (bytes.length !== 16) throw new AddressError('an address is 16 bytes (IPv4 in the first 4)');
    new Uint8Array(this.#x.memory.buffer, this.#result + RES_ADDR, 16).set(bytes);
    return this.#formatResult(family);
  }

  // --- marshalling -------------------------------------------------------------------------
  // The address helpers work on the result record's address field (docs/abi.md), so each
  // one is used and read right away, never across another engine call.

  #parseIntoResult(text: string): 0 | Family {
    const bytes = this.#encoder.encode(text);
    if (bytes.length > SCRATCH_SIZE) return 0; // longer than any address; would overrun the scratch area
    new Uint8Array(this.#x.memory.buffer, this.#scratch, bytes.length).set(bytes);
    return this.#x.sv_addr_parse(bytes.length) as 0 | Family;
  }

  // The parsed address as the four big-endian words sv_select and sv_answer take.
  #resultWords(): [number, number, number, number] {
    const at = this.#result + RES_ADDR;
    const v = this.#memory();
    return [v.getUint32(at, false), v.getUint32(at + 4, false), v.getUint32(at + 8, false), v.getUint32(at + 12, false)];
  }

  #formatResult(family: number): string {
    return this.#text(this.#scratch, this.#x.sv_addr_format(family));
  }

  #formatBytes(family: Family, ptr: number): string {
    const at = this.#result + RES_ADDR;
    new Uint8Array(this.#x.memory.buffer).copyWithin(at, ptr, ptr + 16);
    return this.#formatResult(family);
  }

  #policyName(policy: number, perm: number): string {
    const word = POLICIES[policy] ?? `policy ${policy}`;
    return policy === P_RR ? `rr:${perm.toString(8).padStart(3, '0')}` : word;
  }

  #memory(): DataView {
    // the buffer is replaced whenever the memory grows (only while loading)
    if (this.#view.buffer !== this.#x.memory.buffer) this.#view = new DataView(this.#x.memory.buffer);
    return this.#view;
  }

  #u32(at: number): number {
    return this.#memory().getUint32(at, true);
  }

  #text(ptr: number, len: number): string {
    return this.#decoder.decode(new Uint8Array(this.#x.memory.buffer, ptr, len));
  }

  // A trap leaves the instance in an unknown state (docs/abi.md): it is not used again.
  #guard<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        this.#broken = new EngineError(`the engine trapped (${error.message}); load the configuration again`, { cause: error });
        throw this.#broken;
      }
      throw error;
    }
  }

  #check(): void {
    if (this.#broken) throw this.#broken;
  }
}
