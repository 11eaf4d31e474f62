// The native driver (build/sv_driver, test/native/sv_driver.c: the engine as the C shim
// embeds it) and the Node host side by side: shared by the case runner (cases.test.ts)
// and the configuration fuzzer (test/fuzz/config-fuzz.ts).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { DIAGNOSTIC_CODES, type DiagnosticName, SEVERITIES } from '../../host/abi.js';
import type { Decision, Engine, Query } from '../../host/engine.js';
import type { ResolveTable } from '../../host/resolve.js';

/** A decision as the native driver prints it. */
export interface Result { code: number; rule: number; index: number; family: number; source: string; line: number; flags: number }

export function resultOf(d: Decision): Result {
  if (d.code === 'pass') return { code: 0, rule: -1, index: -1, family: 0, source: '-', line: 0, flags: d.stable ? 4 : 0 };
  return {
    code: d.code === 'bind' ? 1 : 2, rule: d.rule, index: d.index, family: d.family, source: d.source, line: d.line,
    flags: (d.mapped ? 1 : 0) | (d.counted ? 2 : 0) | (d.stable ? 4 : 0),
  };
}

/** What the driver compares: a pass leaves the other fields of the result record undefined. */
export function comparable(r: Result): Partial<Result> {
  return r.code === 0 ? { code: 0, flags: r.flags } : r;
}

/** The driver's command for a query (the engine parses the address, as the Node host does). */
export function queryCommand(engine: Engine, q: Query): string {
  return q.kind === 'connect'
    ? `connect ${engine.parseAddress(q.address)?.family} ${q.address} ${q.port ?? 0} ${q.proto === 'tcp' ? 6 : q.proto === 'udp' ? 17 : 0}`
    : `bind ${q.family} ${q.port} ${q.dualstack ? 1 : 0}`;
}

export interface DriverDiagnostic { line: number; column: number; severity: string; code: number; message: string }
export interface DriverRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  diagnostics: DriverDiagnostic[];
  rules: number;
  results: Result[];
  /** Output lines the protocol does not have (a bug in the driver or a message with a newline). */
  unexpected: string[];
}

/**
 * Runs `driver` on a configuration (written to `base`.conf, the table to `base`.resolve)
 * with `commands` on stdin (`seed LO HI` first when `seed` is given).
 */
export function runDriver(driver: string, base: string, config: string | Uint8Array, resolve: ResolveTable,
                          seed: readonly [number, number] | undefined, commands: string[], timeout = 30_000): DriverRun {
  writeFileSync(`${base}.conf`, config);
  const args = [`${base}.conf`];
  if (Object.keys(resolve).length) {
    const lines = Object.entries(resolve).map(([name, v]) => `${name} ${v === 'fail' ? '!' : v.join(' ')}`);
    writeFileSync(`${base}.resolve`, `${lines.join('\n')}\n`);
    args.push(`${base}.resolve`);
  }
  const input = [...(seed ? [`seed ${seed[0]} ${seed[1]}`] : []), ...commands];
  const r = spawnSync(driver, args, { input: `${input.join('\n')}\n`, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  const run: DriverRun = { status: r.status, signal: r.signal, stderr: r.stderr ?? '', diagnostics: [], rules: -1, results: [], unexpected: [] };
  for (const line of (r.stdout ?? '').split('\n').filter(Boolean)) {
    const [word, ...rest] = line.split(' ');
    if (word === 'diag') {
      // SEVERITY and CODE may be numbers or names; the message is the rest of the line, as is
      const m = /^diag (\d+) (\d+) (\S+) (\S+) (.*)$/.exec(line);
      if (!m) {
        run.unexpected.push(line);
        continue;
      }
      const [, l, column, severity, code, message] = m;
      run.diagnostics.push({
        line: Number(l), column: Number(column),
        severity: SEVERITIES[Number(severity)] ?? severity,
        code: DIAGNOSTIC_CODES[code as DiagnosticName] ?? Number(code),
        message,
      });
    } else if (word === 'ready') {
      run.rules = Number(rest[0]);
    } else if (word.startsWith('code=')) {
      const f = Object.fromEntries(line.split(' ').map((kv) => kv.split('=')));
      run.results.push({
        code: Number(f.code), rule: Number(f.rule), index: Number(f.index), family: Number(f.family),
        source: f.source, line: Number(f.line), flags: Number(f.flags),
      });
    } else {
      run.unexpected.push(line);
    }
  }
  return run;
}

/** The Node host's diagnostics in the driver's form. */
export function nodeDiagnostics(engine: Engine): DriverDiagnostic[] {
  return engine.diagnostics().map((d) => ({ line: d.line, column: d.column, severity: d.severity, code: d.abiCode, message: d.message }));
}
