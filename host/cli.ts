#!/usr/bin/env node
// The src-vipa command as a process: output that may fail (a closed pipe, a full disk),
// exit statuses, and no stack trace for a user. The commands are in commands/.
import { type CommandContext, EXIT_PIPE, EXIT_USAGE } from './commands/context.js';
import { main } from './commands/main.js';
import { fileProblem, SrcVipaError } from './errors.js';
import { escapeControls } from './text.js';

const debug = Boolean(process.env.SRC_VIPA_DEBUG && process.env.SRC_VIPA_DEBUG !== '0');

// A message may quote a file name or an argument: its control characters are escaped, as
// the engine escapes the file's text.
function say(message: string): void {
  try {
    process.stderr.write(message.split('\n').map((line) => `src-vipa: ${escapeControls(line)}\n`).join(''));
  } catch {
    // standard error is gone too: the exit status says the rest
  }
}

// A reader that has seen enough (`| head -1`) closes the pipe: stop, as a program killed by
// SIGPIPE would (Node ignores the signal and reports EPIPE instead). Any other write error
// (a full disk, /dev/full) is one line and status 2.
function failedOutput(error: NodeJS.ErrnoException): never {
  if (error.code === 'EPIPE') process.exit(EXIT_PIPE);
  say(`cannot write the output: ${error.code === 'ENOSPC' ? 'no space left on device' : fileProblem(error)}`);
  process.exit(EXIT_USAGE);
}
process.stdout.on('error', failedOutput);
process.stderr.on('error', () => process.exit(EXIT_USAGE));

/** One line for a failure; the stack only when SRC_VIPA_DEBUG is set. */
function fail(error: unknown): void {
  if (error instanceof SrcVipaError) {
    say(error.message);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    say(debug && error instanceof Error ? `internal error: ${error.stack}` : `internal error: ${message}`);
  }
  process.exitCode = EXIT_USAGE;
}
process.on('uncaughtException', (error) => {
  fail(error);
  process.exit(EXIT_USAGE);
});

const progressShown = process.stderr.isTTY === true;
const ctx: CommandContext = {
  io: {
    out: (line) => {
      if (!process.stdout.destroyed) process.stdout.write(`${line}\n`);
    },
    err: (line) => {
      if (!process.stderr.destroyed) process.stderr.write(`${line}\n`);
    },
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    ...(progressShown ? { progress: (text: string) => process.stderr.write(`\r\x1b[K${text}`) } : {}),
  },
  env: process.env,
};

main(process.argv.slice(2), ctx).then((status) => {
  process.exitCode = status;
}, fail);
