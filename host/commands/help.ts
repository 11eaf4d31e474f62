// The help texts of the commands, built from one description per command. The same
// synopsis lines make the command list of `src-vipa --help`, and the tests hold README.md
// and docs/src-vipa.1 to them.

export interface CommandHelp {
  name: string;
  /** What follows `src-vipa ` on each synopsis line. */
  synopsis: string[];
  /** One line for the command list. */
  summary: string;
  /** Paragraphs of plain text, already wrapped. */
  description: string;
  /** [option as written, what it does]; the text may run over several lines. */
  options: [string, string][];
}

const OPTION_WIDTH = 16;

function optionLines(options: [string, string][]): string[] {
  const lines: string[] = [];
  for (const [flag, text] of options) {
    const [first, ...rest] = text.split('\n');
    lines.push(flag.length < OPTION_WIDTH
      ? `  ${flag.padEnd(OPTION_WIDTH)}${first}`
      : `  ${flag}\n  ${' '.repeat(OPTION_WIDTH)}${first}`);
    for (const more of rest) lines.push(`  ${' '.repeat(OPTION_WIDTH)}${more}`);
  }
  return lines;
}

/** `src-vipa COMMAND --help`. */
export function formatHelp(help: CommandHelp): string {
  const [first, ...more] = help.synopsis;
  return [
    `Usage: src-vipa ${first}`,
    ...more.map((s) => `       src-vipa ${s}`),
    '',
    help.description,
    '',
    'Options:',
    ...optionLines([...help.options, ['-h, --help', 'show this help']]),
  ].join('\n');
}

/** `src-vipa --help`: every command's synopsis. */
export function formatUsage(commands: CommandHelp[]): string {
  return [
    'Usage: src-vipa COMMAND [ARGS]',
    '',
    'Checks a src_vipa configuration, shows the source addresses it chooses and tests them,',
    'with the engine the preload library src_vipa.so uses.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(12)}${c.summary}`),
    '',
    'Synopsis:',
    ...allSynopses(commands).map((s) => `  ${s}`),
    '',
    'Without a file, the commands read $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf.',
    'src-vipa help COMMAND (or COMMAND --help) describes a command; src-vipa --version',
    'prints the version. Exit status: 0 success, 1 errors found or a test failed, 2 used',
    'wrongly or a file cannot be read, 141 the output pipe was closed.',
  ].join('\n');
}

/** Every synopsis line, `src-vipa ...`, as README.md and src-vipa(1) list them. */
export function allSynopses(commands: CommandHelp[]): string[] {
  return [
    ...commands.flatMap((c) => c.synopsis.map((s) => `src-vipa ${s}`)),
    'src-vipa help [COMMAND]',
    'src-vipa --version',
  ];
}
