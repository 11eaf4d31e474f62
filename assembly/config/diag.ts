// Diagnostics: structured records (docs/abi.md, "Diagnostic record") with UTF-8 messages.
// At most MAX_DIAGS are kept, so that a file of millions of bad lines cannot fill the
// engine's memory; the others are counted, and one last diagnostic says how many.
import { D_DIAGNOSTICS_OMITTED, SEV_ERROR, SEV_NOTE, SEV_WARNING } from "../abi";

export const MAX_DIAGS: i32 = 1000;

// Field order is the ABI record layout: an object reference points at its first field.
@final export class Diag {
  line: u32;
  column: u32;
  severity: u32;
  code: u32;
  messagePtr: u32;
  messageLen: u32;
}

export const diags = new Array<Diag>();
// omitted diagnostics by severity (index 1 error, 2 warning, 3 note)
const omitted = new StaticArray<u32>(4);
// the second pass over the lines (config/parse.ts) reports nothing: the first one did
let muted = false;

export function mute(on: bool): void {
  muted = on;
}

// Whether a diagnostic of `severity` will be kept. Callers ask before building the
// message, which allocates: past the limit a diagnostic costs nothing but its count.
export function willReport(severity: u32): bool {
  if (muted) return false;
  if (diags.length < MAX_DIAGS) return true;
  unchecked(omitted[severity]++);
  return false;
}

// Adds a diagnostic whatever the limit: for the few that must never be left out.
export function report(severity: u32, code: u32, line: u32, column: u32, message: string): void {
  const d = new Diag();
  const bytes = String.UTF8.encode(message);
  d.line = line;
  d.column = column;
  d.severity = severity;
  d.code = code;
  d.messagePtr = <u32>changetype<usize>(bytes);
  d.messageLen = <u32>bytes.byteLength;
  diags.push(d);
}

export function error(code: u32, line: u32, column: u32, message: string): void {
  report(SEV_ERROR, code, line, column, message);
}

export function warning(code: u32, line: u32, column: u32, message: string): void {
  report(SEV_WARNING, code, line, column, message);
}

export function note(code: u32, line: u32, column: u32, message: string): void {
  report(SEV_NOTE, code, line, column, message);
}

function plural(n: u32, word: string): string {
  return `${n} ${word}${n == 1 ? "" : "s"}`;
}

// The last diagnostic of a load, if any were left out: as severe as the worst of them.
export function reportOmitted(): void {
  const errors = unchecked(omitted[SEV_ERROR]);
  const warnings = unchecked(omitted[SEV_WARNING]);
  const notes = unchecked(omitted[SEV_NOTE]);
  const total = errors + warnings + notes;
  if (!total) return;
  const severity = errors ? SEV_ERROR : warnings ? SEV_WARNING : SEV_NOTE;
  report(severity, D_DIAGNOSTICS_OMITTED, 0, total, // column: the count (docs/abi.md)
    `${plural(total, "more problem")} (${plural(errors, "error")}, ${plural(warnings, "warning")}, ${plural(notes, "note")}) not listed: only the first ${MAX_DIAGS} are kept; fix the lines above and check the file again (src-vipa check FILE)`);
}
