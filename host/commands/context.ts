// What every command shares: where output goes, how the configuration is found and
// loaded, how diagnostics are written, and the exit statuses.
import { readFile } from 'node:fs/promises';
import { debugLog, defaultConfigFile, type Diagnostic, Engine, type LoadOptions } from '../engine.js';
import { fileProblem, UsageError } from '../errors.js';
import type { Resolver } from '../resolve.js';
import { processCounters } from '../rr.js';
import { escapeControls } from '../text.js';

export { UsageError } from '../errors.js';
/** The file the preload library would read: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf. */
export { defaultConfigFile };

/** One call, one line (without its newline). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Reads all of standard input (`-` as a file name). */
  stdin?(): Promise<Uint8Array>;
  /** Shows progress on a terminal (a line that the next one replaces); absent elsewhere. */
  progress?(text: string): void;
}

export interface CommandContext {
  io: Io;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves host names in the file and in DEST; default: the system resolver. */
  resolver?: Resolver;
  /** The engine module; default: the package's build/engine.wasm. */
  wasmPath?: string;
}

export const EXIT_OK = 0;
/** check: the file has errors; test: a step does not hold. */
export const EXIT_FAILED = 1;
export const EXIT_CONFIG_ERRORS = EXIT_FAILED;
/** Used wrongly, a file that cannot be read, or an internal error. */
export const EXIT_USAGE = 2;
/** The output pipe was closed (as for a program killed by SIGPIPE: 128 + 13). */
export const EXIT_PIPE = 141;

/** The name standard input goes by in messages. */
export const STDIN_NAME = '<stdin>';

/** The bytes of FILE, or of standard input for `-`; a UsageError in plain words otherwise. */
export async function readConfigBytes(file: string, ctx: CommandContext): Promise<Uint8Array> {
  if (file === '-') {
    if (!ctx.io.stdin) throw new UsageError('cannot read standard input here');
    return ctx.io.stdin();
  }
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${fileProblem(error)}`, { cause: error });
  }
}

/**
 * Loads a configuration for a command: rr counts inside the command only (it must never
 * move the counters of running programs), and the engine's messages go to standard error
 * only when SRC_VIPA_DEBUG is set.
 */
export async function loadConfig(bytes: Uint8Array, ctx: CommandContext,
                                 options: Pick<LoadOptions, 'seed' | 'resolver'> = {}): Promise<Engine> {
  return Engine.load(bytes, {
    resolver: ctx.resolver,
    ...options,
    wasmPath: ctx.wasmPath,
    rrCounters: processCounters(),
    onLog: debugLog,
  });
}

export async function loadConfigFile(file: string, ctx: CommandContext,
                                     options: Pick<LoadOptions, 'seed' | 'resolver'> = {}): Promise<Engine> {
  return loadConfig(await readConfigBytes(file, ctx), ctx, options);
}

/** How messages name a file (`-` is standard input). */
export function displayName(file: string): string {
  return file === '-' ? STDIN_NAME : file;
}

/** Diagnostics in file order (the engine reports some only once the whole file is read). */
export function inFileOrder<D extends Pick<Diagnostic, 'line' | 'column'>>(diagnostics: D[]): D[] {
  return [...diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * `FILE:LINE: error|warning|note: MESSAGE` (line 0 is the whole file: `FILE: ...`). The
 * engine escapes the file's text in its messages; this escapes again whatever control
 * characters might remain (an older engine), and those of the file's name.
 */
export function formatDiagnostic(file: string, d: Pick<Diagnostic, 'line' | 'severity' | 'message'>): string {
  return escapeControls(`${displayName(file)}${d.line ? `:${d.line}` : ''}: ${d.severity}: ${d.message}`);
}

/** explain and simulate answer anyway, but say which lines the library skips. */
export function reportErrors(file: string, engine: Engine, io: Io): void {
  for (const d of inFileOrder(engine.diagnostics())) {
    if (d.severity === 'error') io.err(formatDiagnostic(file, d));
  }
}

/** The version of the JSON outputs (`"schema": 1`); a change of a documented key raises it. */
export const JSON_SCHEMA = 1;
