// The src-vipa command line: which command, its arguments, its help. host/cli.ts runs it
// in a process; the tests call it directly.
import { readFileSync } from 'node:fs';
import { checkArgs, explainArgs, type Parsed, simulateArgs, testArgs } from './args.js';
import { check, checkHelp } from './check.js';
import { bashCompletion, completionArgs, completionHelp } from './completion.js';
import { type CommandContext, EXIT_OK, UsageError } from './context.js';
import { explain, explainHelp } from './explain.js';
import { type CommandHelp, formatHelp, formatUsage } from './help.js';
import { simulate, simulateHelp } from './simulate.js';
import { test, testHelp } from './test.js';

interface Command<T> {
  help: CommandHelp;
  args(argv: string[]): Parsed<T>;
  run(options: T, ctx: CommandContext): Promise<number>;
}

function command<T>(c: Command<T>): Command<unknown> {
  return c as Command<unknown>;
}

export const COMMANDS: Command<unknown>[] = [
  command({ help: checkHelp, args: checkArgs, run: check }),
  command({ help: explainHelp, args: explainArgs, run: explain }),
  command({ help: simulateHelp, args: simulateArgs, run: simulate }),
  command({ help: testHelp, args: testArgs, run: test }),
  command({
    help: completionHelp,
    args: completionArgs,
    run: async (_options, ctx) => {
      ctx.io.out(bashCompletion(COMMANDS.map((c) => c.help)).trimEnd());
      return EXIT_OK;
    },
  }),
];

export const HELPS: CommandHelp[] = COMMANDS.map((c) => c.help);

/** `src-vipa 0.x.y`, from the package's package.json. */
export function versionLine(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `src-vipa ${pkg.version}`;
}

function names(): string {
  const all = COMMANDS.map((c) => c.help.name);
  return `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`;
}

function find(name: string): Command<unknown> {
  const found = COMMANDS.find((c) => c.help.name === name);
  if (!found) throw new UsageError(`unknown command '${name}': use ${names()} (see src-vipa --help)`);
  return found;
}

/** Runs one command line; resolves with the exit status. Usage errors are thrown. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError(`missing command: ${names()} (see src-vipa --help)`);
  if (name === '--help' || name === '-h') {
    ctx.io.out(formatUsage(HELPS));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    ctx.io.out(versionLine());
    return EXIT_OK;
  }
  if (name === 'help') {
    if (rest.length > 1) throw new UsageError(`help: unexpected argument '${rest[1]}' (see src-vipa --help)`);
    ctx.io.out(rest.length ? formatHelp(find(rest[0]).help) : formatUsage(HELPS));
    return EXIT_OK;
  }
  if (name.startsWith('-')) throw new UsageError(`unknown option '${name}': a command comes first (see src-vipa --help)`);
  const found = find(name);
  const parsed = found.args(rest);
  if (parsed.help) {
    ctx.io.out(formatHelp(found.help));
    return EXIT_OK;
  }
  return found.run(parsed.options, ctx);
}
