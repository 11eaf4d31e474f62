// Text that came from a configuration file (or the environment), on its way to a terminal
// or a log: it is shown, never obeyed.

// C0 and C1 controls, DEL, and Unicode's bidirectional and line-separator controls: the
// characters the engine writes as \xNN in its messages (assembly/config/quote.ts).
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu;

/** Each control character as \xNN per UTF-8 byte; everything else as it is. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''));
}
