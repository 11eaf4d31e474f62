// Command lines -> the typed options of check, explain and simulate. Options may come
// before or after the positional arguments; every mistake is one UsageError line.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Family } from '../engine.js';
import type { CheckOptions } from './check.js';
import { UsageError } from './context.js';
import type { ExplainOptions } from './explain.js';
import type { SimulateOptions } from './simulate.js';
import type { TargetOptions } from './target.js';
import type { TestOptions } from './test.js';

/** What a command line asks for: the help text, or a run with these options. */
export type Parsed<T> = { help: true } | { help: false; options: T };

type OptionSpec = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

const TARGET_OPTIONS: OptionSpec = {
  config: { type: 'string' },
  bind: { type: 'string' },
  family: { type: 'string' },
  v6only: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

function parse(command: string, argv: string[], options: OptionSpec): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error as Error & { code?: string })} (see src-vipa ${command} --help)`);
  }
}

// node:util's messages are long and name Node; say the same in a few words.
function describeParseError(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1] ?? '';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${option}'`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(error.message) ? `option '${option}' needs a value` : `option '${option}' takes no value`;
  }
  return error.message;
}

function string(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function integer(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${what} '${text}' is not a number from ${min} to ${max}`);
  }
  return Number(text);
}

export function parsePort(text: string): number {
  return integer(text, 'port', 0, 65535);
}

/** A seed of up to 64 bits, as the two 32-bit halves sv_seed takes. */
export function parseSeed(text: string): [lo: number, hi: number] {
  if (!/^\d+$/.test(text) || BigInt(text) >= 1n << 64n) {
    throw new UsageError(`seed '${text}' is not a number from 0 to 18446744073709551615`);
  }
  const seed = BigInt(text);
  return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
}

function tooMany(command: string, extra: string[]): UsageError {
  return new UsageError(`${command}: unexpected argument '${extra[0]}' (see src-vipa ${command} --help)`);
}

function targetOptions(command: string, values: Values, positionals: string[]): TargetOptions {
  const bind = string(values, 'bind');
  const family = string(values, 'family');
  if (bind === undefined) {
    if (family !== undefined || values.v6only) throw new UsageError(`${command}: --family and --v6only go with --bind PORT`);
    const [dest, port, ...extra] = positionals;
    if (dest === undefined) throw new UsageError(`${command}: missing DEST (see src-vipa ${command} --help)`);
    if (extra.length) throw tooMany(command, extra);
    return port === undefined ? { dest } : { dest, port: parsePort(port) };
  }
  if (positionals.length) throw tooMany(command, positionals);
  if (family !== undefined && family !== '4' && family !== '6') {
    throw new UsageError(`${command}: --family must be 4 or 6, not '${family}'`);
  }
  if (values.v6only && family !== '6') throw new UsageError(`${command}: --v6only goes with --family 6`);
  return {
    bind: parsePort(bind),
    family: (family === '6' ? 6 : 4) as Family,
    ...(values.v6only ? { v6only: true } : {}),
  };
}

export function checkArgs(argv: string[]): Parsed<CheckOptions> {
  const { values, positionals } = parse('check', argv, {
    config: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' },
    'no-resolve': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { help: true };
  const [given, ...extra] = positionals;
  if (extra.length) throw tooMany('check', extra);
  const config = string(values, 'config');
  if (given !== undefined && config !== undefined) {
    throw new UsageError(`check: give the file once, as FILE or as --config FILE (see src-vipa check --help)`);
  }
  const file = given ?? config;
  return {
    help: false,
    options: {
      ...(file === undefined ? {} : { file }),
      json: values.json === true,
      ...(values.quiet ? { quiet: true } : {}),
      ...(values['no-resolve'] ? { noResolve: true } : {}),
    },
  };
}

export function explainArgs(argv: string[]): Parsed<ExplainOptions> {
  const { values, positionals } = parse('explain', argv, { ...TARGET_OPTIONS, json: { type: 'boolean' } });
  if (values.help) return { help: true };
  const config = string(values, 'config');
  return {
    help: false,
    options: { ...targetOptions('explain', values, positionals), ...(config ? { config } : {}), json: values.json === true },
  };
}

export function simulateArgs(argv: string[]): Parsed<SimulateOptions> {
  const { values, positionals } = parse('simulate', argv, {
    ...TARGET_OPTIONS, count: { type: 'string', short: 'n' }, seed: { type: 'string' }, json: { type: 'boolean' },
  });
  if (values.help) return { help: true };
  const count = string(values, 'count');
  if (count === undefined) throw new UsageError('simulate: missing -n COUNT (see src-vipa simulate --help)');
  const config = string(values, 'config');
  const seed = string(values, 'seed');
  return {
    help: false,
    options: {
      ...targetOptions('simulate', values, positionals),
      ...(config ? { config } : {}),
      count: integer(count, 'count', 1, 10_000_000),
      ...(seed === undefined ? {} : { seed: parseSeed(seed) }),
      ...(values.json ? { json: true } : {}),
    },
  };
}

export function testArgs(argv: string[]): Parsed<TestOptions> {
  const { values, positionals } = parse('test', argv, {
    config: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, tap: { type: 'boolean' },
    resolve: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { help: true };
  if (values.json && values.tap) throw new UsageError('test: give --json or --tap, not both (see src-vipa test --help)');
  if (!positionals.length) throw new UsageError('test: missing CASES: case files or directories of them (see src-vipa test --help)');
  const config = string(values, 'config');
  const seed = string(values, 'seed');
  return {
    help: false,
    options: {
      cases: positionals,
      ...(config ? { config } : {}),
      ...(seed === undefined ? {} : { seed: parseSeed(seed) }),
      ...(values.json ? { format: 'json' as const } : values.tap ? { format: 'tap' as const } : {}),
      ...(values.resolve ? { resolve: true } : {}),
    },
  };
}
