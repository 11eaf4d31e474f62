// `src-vipa test`: operators' own policy tests. Case files (docs/policy-tests.md) run on
// the engine, against their own configuration or the file the operator names.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CaseError, fileProblem } from '../errors.js';
import { type PolicyCase, parseCase } from '../policytest/case.js';
import { type CaseResult, runCase } from '../policytest/run.js';
import {
  type CommandContext, defaultConfigFile, displayName, EXIT_FAILED, EXIT_OK, JSON_SCHEMA,
  readConfigBytes, UsageError,
} from './context.js';
import type { CommandHelp } from './help.js';

export interface TestOptions {
  /** Case files, or directories of them (every *.json inside, in name order). */
  cases: string[];
  /** The configuration of cases without their own `config`; default: the library's file. */
  config?: string;
  /** The seed of cases without their own `seed`. */
  seed?: readonly [lo: number, hi: number];
  format?: 'text' | 'tap' | 'json';
  /** Names missing from a case's hosts are looked up with the system resolver. */
  resolve?: boolean;
}

export const testHelp: CommandHelp = {
  name: 'test',
  synopsis: ['test [--config FILE] [--seed S] [--json | --tap] [--resolve] CASES...'],
  summary: 'run policy test cases against a configuration',
  description: `Runs policy test case files (or every *.json in a directory) on the engine: each
step connects to a destination or binds a port, and says what the decision must be.
A case runs against its own "config", or FILE when it has none, or the library's file
($SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf). Each failure names the case file,
the step, what was expected and what the engine answered, with the rule's line; a
summary line follows. Exit status: 0 every step holds, 1 one does not, 2 a case file or
the configuration cannot be read. The format: docs/policy-tests.md.`,
  options: [
    ['--config FILE', 'the configuration of cases without their own "config"'],
    ['--seed S', 'fix the random generator (0 to 2^64-1) for cases without a "seed"'],
    ['--json', 'print {"schema":1,"cases":[{"file":…,"name":…,"config":…,"ok":…,\n"diagnostics":…,"steps":[{"step":N,"label":…,"ok":…,"problems":[…]}]}],\n"checks":N,"failed":N}'],
    ['--tap', 'print TAP (a test point per step), as prove reads it'],
    ['--resolve', 'look up host names that a case\'s "hosts" does not have, with the\nsystem resolver (default: they do not exist)'],
  ],
};

/** The case files named by the arguments: files as given, directories' *.json in order. */
async function caseFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${fileProblem(error)}`);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const inside = (await readdir(path)).filter((f) => f.endsWith('.json')).sort();
    if (!inside.length) throw new UsageError(`${path}: a directory without case files (*.json)`);
    files.push(...inside.map((f) => join(path, f)));
  }
  return files;
}

/** Reads every case; all problems are reported together, as one UsageError. */
async function readCases(files: string[]): Promise<PolicyCase[]> {
  const problems: string[] = [];
  const cases: PolicyCase[] = [];
  for (const file of files) {
    try {
      cases.push(parseCase(await readFile(file, 'utf8'), file));
    } catch (error) {
      problems.push(error instanceof CaseError ? error.message : `cannot read ${file}: ${fileProblem(error)}`);
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return cases;
}

export async function test(options: TestOptions, ctx: CommandContext): Promise<number> {
  const cases = await readCases(await caseFiles(options.cases));
  let config: { bytes: Uint8Array; name: string } | undefined;
  if (cases.some((c) => c.config === undefined)) {
    const file = options.config ?? defaultConfigFile(ctx.env);
    config = { bytes: await readConfigBytes(file, ctx), name: displayName(file) };
  }
  const results: CaseResult[] = [];
  for (const c of cases) {
    results.push(await runCase(c, {
      ...(config ? { config } : {}),
      ...(options.seed ? { seed: [options.seed[0], options.seed[1]] as [number, number] } : {}),
      ...(options.resolve ? { resolve: true } : {}),
      ...(ctx.resolver ? { resolver: ctx.resolver } : {}),
      ...(ctx.wasmPath ? { wasmPath: ctx.wasmPath } : {}),
    }));
  }
  const format = options.format ?? 'text';
  const lines = format === 'tap' ? tap(results) : format === 'json' ? [json(results)] : text(results);
  for (const line of lines) ctx.io.out(line);
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
}

/** The test points: the diagnostics of a case (when it expects some), then each query step. */
function points(results: CaseResult[]): { title: string; ok: boolean; problems: string[] }[] {
  return results.flatMap((r) => [
    ...(r.diagnostics ? [{ title: `${r.case.file}: diagnostics of ${r.configName}`, ...r.diagnostics }] : []),
    ...r.steps.map((s) => ({ title: `${r.case.file}: step ${s.step}: ${s.label}`, ok: s.ok, problems: s.problems })),
  ]);
}

function summary(results: CaseResult[]): string {
  const all = points(results);
  const failed = all.filter((p) => !p.ok).length;
  const cases = `${results.length} case${results.length === 1 ? '' : 's'}, ${all.length} check${all.length === 1 ? '' : 's'}`;
  return failed ? `${cases}: ${failed} failed` : `${cases}: all hold`;
}

function text(results: CaseResult[]): string[] {
  const lines: string[] = [];
  for (const p of points(results)) {
    for (const problem of p.problems) lines.push(`${p.title}: ${problem}`);
  }
  return [...lines, summary(results)];
}

function tap(results: CaseResult[]): string[] {
  const all = points(results);
  const lines = ['TAP version 13', `1..${all.length}`];
  all.forEach((p, i) => {
    lines.push(`${p.ok ? 'ok' : 'not ok'} ${i + 1} - ${p.title.replace(/#/g, '\\#')}`);
    for (const problem of p.problems) lines.push(`# ${problem}`);
  });
  lines.push(`# ${summary(results)}`);
  return lines;
}

function json(results: CaseResult[]): string {
  const all = points(results);
  return JSON.stringify({
    schema: JSON_SCHEMA,
    cases: results.map((r) => ({
      file: r.case.file,
      name: r.case.name,
      config: r.configName,
      ok: r.ok,
      ...(r.diagnostics ? { diagnostics: r.diagnostics } : {}),
      steps: r.steps.map((s) => ({ step: s.step, label: s.label, ok: s.ok, problems: s.problems })),
    })),
    checks: all.length,
    failed: all.filter((p) => !p.ok).length,
  });
}
