// What every command shares: where output goes, how the configuration is found and
// loaded, how diagnostics are written, and the error that means "used wrongly".
import { readFile } from 'node:fs/promises';
import { type Diagnostic, Engine, type LoadOptions } from '../engine.js';
import type { Resolver } from '../resolve.js';
import { escapeControls } from '../text.js';

/** One call, one line (without its newline). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
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
export const EXIT_CONFIG_ERRORS = 1;
export const EXIT_USAGE = 2;

/** The command was used wrongly, or its file cannot be read: one line, exit status 2. */
export class UsageError extends Error {}

export const DEFAULT_CONFIG_FILE = '/etc/src_vipa.conf';

/** The file the preload library would read. */
export function defaultConfigFile(env: CommandContext['env']): string {
  return env.SRC_VIPA_CONFIG_FILE || DEFAULT_CONFIG_FILE;
}

export async function loadConfigFile(file: string, ctx: CommandContext,
                                     options: Pick<LoadOptions, 'seed'> = {}): Promise<Engine> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file'
      : (error as Error).message;
    throw new UsageError(`cannot read ${file}: ${reason}`);
  }
  return Engine.load(bytes, { ...options, resolver: ctx.resolver, wasmPath: ctx.wasmPath });
}

/** Diagnostics in file order (the engine reports some only once the whole file is read). */
export function inFileOrder(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * `FILE:LINE: error|warning|note: MESSAGE` (line 0 is the whole file: `FILE: ...`). The
 * engine escapes the file's text in its messages; this escapes again whatever control
 * characters might remain (an older engine), and those of the file's name.
 */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return escapeControls(`${file}${d.line ? `:${d.line}` : ''}: ${d.severity}: ${d.message}`);
}

/** explain and simulate answer anyway, but say which lines the library skips. */
export function reportErrors(file: string, engine: Engine, io: Io): void {
  for (const d of inFileOrder(engine.diagnostics())) {
    if (d.severity === 'error') io.err(formatDiagnostic(file, d));
  }
}
