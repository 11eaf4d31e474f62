// `src-vipa check`: every problem of a configuration file, as the preload library sees it.
import type { Diagnostic } from '../engine.js';
import { resolveError, type Resolver } from '../resolve.js';
import {
  type CommandContext, defaultConfigFile, displayName, EXIT_CONFIG_ERRORS, EXIT_OK,
  formatDiagnostic, inFileOrder, JSON_SCHEMA, loadConfig, readConfigBytes,
} from './context.js';
import type { CommandHelp } from './help.js';

export interface CheckOptions {
  /** Default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf; `-` is standard input. */
  file?: string;
  json?: boolean;
  /** No summary line. */
  quiet?: boolean;
  /** Host names are not looked up; each is reported as a note. */
  noResolve?: boolean;
}

/** A diagnostic as check prints it in JSON (the code names of Diagnostic.code). */
export interface CheckEntry {
  line: number;
  column: number;
  code: string;
  message: string;
}

export interface CheckReport {
  errors: CheckEntry[];
  warnings: CheckEntry[];
  notes: CheckEntry[];
}

export const checkHelp: CommandHelp = {
  name: 'check',
  synopsis: ['check [--config FILE] [--json] [--quiet] [--no-resolve] [FILE | -]'],
  summary: 'every problem of a configuration file',
  description: `Reads FILE (default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf; - is standard
input) as the preload library does and prints every problem as
FILE:LINE: error|warning|note: MESSAGE, then FILE: N rules, E errors, W warnings.
An error is a line the library skips; a warning is a line that applies, possibly
changed; a note is information. Exits with 1 if there is an error, else 0.`,
  options: [
    ['--config FILE', 'the file to check (the same as FILE)'],
    ['--json', 'print {"schema":1,"file":…,"rules":N,"errors":[{"line":N,"column":C,\n"code":"…","message":"…"}],"warnings":[…],"notes":[…]} instead'],
    ['-q, --quiet', 'no summary line'],
    ['--no-resolve', 'do not look up host names (safe offline and in CI): each is\nreported as a note, and the lines are checked without their addresses'],
  ],
};

/** A diagnostic of the engine, or a note of check itself (code NOT_LOOKED_UP). */
export type CheckDiagnostic = Pick<Diagnostic, 'line' | 'column' | 'severity' | 'message'> & { code: string };

/** The diagnostics grouped by severity, in file order. */
export function checkReport(diagnostics: CheckDiagnostic[]): CheckReport {
  const report: CheckReport = { errors: [], warnings: [], notes: [] };
  const groups = { error: report.errors, warning: report.warnings, note: report.notes };
  for (const d of inFileOrder(diagnostics)) {
    groups[d.severity].push({ line: d.line, column: d.column, code: d.code, message: d.message });
  }
  return report;
}

export async function check(options: CheckOptions, ctx: CommandContext): Promise<number> {
  const file = options.file ?? defaultConfigFile(ctx.env);
  const bytes = await readConfigBytes(file, ctx);
  const engine = await loadConfig(bytes, ctx, options.noResolve ? { resolver: notLookedUp } : {});
  let diagnostics: CheckDiagnostic[] = engine.diagnostics();
  if (options.noResolve) diagnostics = unresolvedAsNotes(diagnostics, bytes);
  const rules = engine.rules().length;
  const report = checkReport(diagnostics);
  if (options.json) {
    ctx.io.out(JSON.stringify({ schema: JSON_SCHEMA, file: displayName(file), rules, ...report }));
  } else {
    for (const d of inFileOrder(diagnostics)) ctx.io.out(formatDiagnostic(file, d));
    if (!options.quiet) ctx.io.out(summary(file, rules, diagnostics));
  }
  return report.errors.length ? EXIT_CONFIG_ERRORS : EXIT_OK;
}

// `FILE: N rules, E errors, W warnings`, of the diagnostics listed; the engine keeps only
// the first 1000, and says how many more there are in the column of DIAGNOSTICS_OMITTED.
function summary(file: string, rules: number, diagnostics: CheckDiagnostic[]): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const listed = diagnostics.filter((d) => d.code !== 'DIAGNOSTICS_OMITTED');
  const omitted = diagnostics.filter((d) => d.code === 'DIAGNOSTICS_OMITTED').reduce((n, d) => n + d.column, 0);
  const errors = listed.filter((d) => d.severity === 'error').length;
  const warnings = listed.filter((d) => d.severity === 'warning').length;
  return `${displayName(file)}: ${count(rules, 'rule')}, ${count(errors, 'error')}, ${count(warnings, 'warning')}` +
    (omitted ? ` (${omitted} more not listed)` : '');
}

// --no-resolve: every name "fails" to resolve, and the engine's warnings about that are
// turned into notes that say why.
const notLookedUp: Resolver = async (name) => { throw resolveError(name, 'ENOTLOOKEDUP'); };

function unresolvedAsNotes(diagnostics: CheckDiagnostic[], bytes: Uint8Array): CheckDiagnostic[] {
  const lines = configLines(bytes);
  const linesWithNames = new Set(diagnostics.filter((d) => d.code === 'RESOLVE_FAILED').map((d) => d.line));
  return diagnostics.flatMap((d): CheckDiagnostic[] => {
    if (d.code === 'FAMILY_EMPTY' && linesWithNames.has(d.line)) return []; // a consequence
    if (d.code !== 'RESOLVE_FAILED') return [d];
    const name = hostNameAt(lines[d.line - 1] ?? '', d.column);
    return [{
      line: d.line,
      column: d.column,
      severity: 'note',
      code: 'NOT_LOOKED_UP',
      message: `host name '${name}' is not looked up (--no-resolve); what it resolves to is not checked`,
    }];
  });
}

// The lines of the file as the engine numbers them (a byte-order mark is not part of line 1).
function configLines(bytes: Uint8Array): string[] {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return Buffer.from(bytes.subarray(start)).toString('latin1').split('\n');
}

// The token at a 1-based byte column, without a /PREFIX or a list comma after it.
function hostNameAt(line: string, column: number): string {
  const token = /^[^\s]+/.exec(line.slice(Math.max(column, 1) - 1))?.[0] ?? '';
  return Buffer.from(token.replace(/\/\d*$|,$/, ''), 'latin1').toString('utf8');
}
