// `src-vipa check [--json] [FILE]`: every problem of a configuration file.
import type { Diagnostic } from '../engine.js';
import {
  type CommandContext, defaultConfigFile, EXIT_CONFIG_ERRORS, EXIT_OK, formatDiagnostic,
  inFileOrder, loadConfigFile,
} from './context.js';

export interface CheckOptions {
  /** Default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf. */
  file?: string;
  json?: boolean;
}

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

export const checkUsage = `Usage: src-vipa check [--json] [FILE]

Reads FILE (default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf) as the preload
library does and prints every problem as FILE:LINE: error|warning|note: MESSAGE.
An error is a line the library skips; a warning is a line that applies, possibly
changed; a note is information. Exits with 1 if there is an error, else 0.

Options:
  --json    print {"errors":[{"line":N,"column":C,"code":"…","message":"…"}],
            "warnings":[…],"notes":[…]} instead
  --help    show this help`;

/** The diagnostics grouped by severity, in file order. */
export function checkReport(diagnostics: Diagnostic[]): CheckReport {
  const report: CheckReport = { errors: [], warnings: [], notes: [] };
  const groups = { error: report.errors, warning: report.warnings, note: report.notes };
  for (const d of inFileOrder(diagnostics)) {
    groups[d.severity].push({ line: d.line, column: d.column, code: d.name, message: d.message });
  }
  return report;
}

export async function check(options: CheckOptions, ctx: CommandContext): Promise<number> {
  const file = options.file ?? defaultConfigFile(ctx.env);
  const diagnostics = (await loadConfigFile(file, ctx)).diagnostics();
  if (options.json) {
    ctx.io.out(JSON.stringify(checkReport(diagnostics)));
  } else {
    for (const d of inFileOrder(diagnostics)) ctx.io.out(formatDiagnostic(file, d));
  }
  return diagnostics.some((d) => d.severity === 'error') ? EXIT_CONFIG_ERRORS : EXIT_OK;
}
