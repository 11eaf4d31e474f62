#!/usr/bin/env node
// The src-vipa command: picks the command, turns its arguments into options, runs it.
// The work is in commands/, which the tests call directly.
import { readFileSync } from 'node:fs';
import { checkArgs, explainArgs, type Parsed, simulateArgs } from './commands/args.js';
import { check, checkUsage } from './commands/check.js';
import { type CommandContext, EXIT_USAGE, UsageError } from './commands/context.js';
import { explain, explainUsage } from './commands/explain.js';
import { simulate, simulateUsage } from './commands/simulate.js';
import { escapeControls } from './text.js';

interface Command<T> {
  usage: string;
  args(argv: string[]): Parsed<T>;
  run(options: T, ctx: CommandContext): Promise<number>;
}

const commands: Record<string, Command<never>> = {
  check: { usage: checkUsage, args: checkArgs, run: check },
  explain: { usage: explainUsage, args: explainArgs, run: explain },
  simulate: { usage: simulateUsage, args: simulateArgs, run: simulate },
} as Record<string, Command<never>>;

const usage = `Usage: src-vipa COMMAND [ARGS]

Checks a src_vipa configuration and shows the source addresses it chooses, with the
engine the preload library src_vipa.so uses.

Commands:
  check [--json] [FILE]                              every problem of the file
  explain [--config FILE] [--json] DEST [PORT]       the rule a destination gets
  explain [--config FILE] [--json] --bind PORT [--family 4|6]
  simulate [--config FILE] DEST [PORT] -n COUNT      how COUNT decisions are spread

Without a file, the commands read $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf.
src-vipa COMMAND --help describes a command; src-vipa --version prints the version.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('missing command: check, explain or simulate (see src-vipa --help)');
  if (name === '--help' || name === '-h' || name === 'help') {
    ctx.io.out(usage);
    return 0;
  }
  if (name === '--version') {
    ctx.io.out(version());
    return 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}': use check, explain or simulate (see src-vipa --help)`);
  const parsed = command.args(rest);
  if (parsed.help) {
    ctx.io.out(command.usage);
    return 0;
  }
  return command.run(parsed.options, ctx);
}

const ctx: CommandContext = {
  io: {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
  env: process.env,
};

main(process.argv.slice(2), ctx).then(
  (status) => { process.exitCode = status; },
  (error: Error) => {
    // one clear line; the stack only when debugging
    const debug = process.env.SRC_VIPA_DEBUG && process.env.SRC_VIPA_DEBUG !== '0';
    // a message may quote a file name or an argument: escaped like the file's text
    ctx.io.err(`src-vipa: ${debug && !(error instanceof UsageError) ? error.stack : escapeControls(error.message)}`);
    process.exitCode = EXIT_USAGE;
  },
);
