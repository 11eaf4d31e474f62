// uvu with TAP output (loaded through tap.mjs): the same `suite` and `test` as uvu's, but
// every test also prints `ok N - SUITE: TEST` or `not ok N - SUITE: TEST` (with the
// error as `#` lines) on standard output, and the plan `1..N` when the process exits.
// uvu's own report (dots, failure details, totals) and whatever the tests print go to
// standard error, so that standard output is TAP only (for prove and `make test`).
import { writeSync } from 'node:fs';
import * as uvu from 'uvu';

let count = 0;
const tap = (line) => writeSync(1, line + '\n');
// uvu's progress marks would only break up the TAP lines on a terminal: dropped
const toStderr = process.stderr.write.bind(process.stderr);
process.stdout.write = (chunk, ...rest) =>
  chunk === '• ' || chunk === '✘ ' ? true : toStderr(chunk, ...rest);
process.on('exit', () => tap(`1..${count}`));

function report(title, err) {
  count += 1;
  if (!err) return tap(`ok ${count} - ${title}`);
  tap(`not ok ${count} - ${title}`);
  const text = String((err && (err.stack || err.message)) || err);
  for (const line of text.split('\n').slice(0, 20)) tap(`#   ${line}`);
}

function wrap(name, handler) {
  return async (state) => {
    try {
      await handler(state);
    } catch (err) {
      report(name, err);
      throw err;
    }
    report(name);
  };
}

export function suite(name = '', state = {}) {
  const inner = uvu.suite(name, state);
  const title = (t) => (name ? `${name}: ${t}` : t);
  const test = (t, handler) => inner(t, wrap(title(t), handler));
  Object.assign(test, inner);
  test.only = (t, handler) => inner.only(t, wrap(title(t), handler));
  test.skip = (t) => {
    inner.skip(t);
    count += 1;
    tap(`ok ${count} - ${title(t)} # SKIP`);
  };
  return test;
}

export const test = suite();
export const exec = uvu.exec;
