// Diagnostics: structured records (docs/abi.md, "Diagnostic record") with UTF-8 messages.
import { SEV_ERROR, SEV_NOTE, SEV_WARNING } from "../abi";

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
