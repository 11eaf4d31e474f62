// `src-vipa simulate`: N decisions in a row, as one process would make them, and how
// often each source came out.
import type { Engine } from '../engine.js';
import {
  type CommandContext, defaultConfigFile, EXIT_OK, JSON_SCHEMA, loadConfigFile, reportErrors,
} from './context.js';
import { describeRule } from './explain.js';
import type { CommandHelp } from './help.js';
import { resolveTarget, type Target, type TargetOptions } from './target.js';

export type SimulateOptions = TargetOptions & {
  /** Default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf. */
  config?: string;
  count: number;
  /** Fixes the engine's random generator, so that a run can be repeated. */
  seed?: readonly [lo: number, hi: number];
  json?: boolean;
};

export interface Distribution {
  line: number;
  rule: string;
  policy: string;
  mapped: boolean;
  /** One row per source of the rule, in the rule's order. */
  rows: { source: string; count: number }[];
}

export const simulateHelp: CommandHelp = {
  name: 'simulate',
  synopsis: [
    'simulate [--config FILE] [--seed S] [--json] DEST [PORT] -n COUNT',
    'simulate [--config FILE] [--seed S] [--json] --bind PORT [--family 4|6] [--v6only] -n COUNT',
  ],
  summary: 'how COUNT decisions are spread over the sources',
  description: `Makes COUNT decisions in a row for a socket connecting to DEST (or binding the
wildcard address on PORT), as one process would, and prints how often each source
was picked, with its share and a bar as long as the share. Sockets are not closed in
between, so the lc policy sees all of them open.`,
  options: [
    ['--config FILE', 'the configuration (default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf)'],
    ['-n COUNT', 'the number of decisions (1 to 10000000)'],
    ['--seed S', 'fix the random generator (0 to 2^64-1) to repeat a run exactly'],
    ['--json', 'print {"schema":1,"line":…,"rule":…,"policy":…,"mapped":…,"count":N,\n"rows":[{"source":…,"count":…,"share":…}]}; {"schema":1,"line":null,\n"count":N} when no rule matches'],
    ['--bind PORT', 'simulate binds of the wildcard address on PORT'],
    ['--family 4|6', 'the family of those binds (default 4)'],
    ['--v6only', 'the IPv6 socket has IPV6_V6ONLY set (default: dual-stack)'],
  ],
};

const BAR_WIDTH = 40;

/** Counts the sources of `count` decisions; null when no rule answers the target. */
export function simulateTarget(engine: Engine, target: Target, count: number,
                               onProgress?: (done: number) => void): Distribution | null {
  const tally = engine.tally(target.query, count, onProgress);
  if (!tally) return null;
  const { first, counts } = tally;
  const rule = engine.rule(first.rule)!;
  return {
    line: first.line,
    rule: describeRule(rule),
    policy: first.policy,
    mapped: first.mapped,
    rows: rule.sources.map((source, i) => ({ source, count: counts[i] })),
  };
}

export function formatDistribution(target: Target, count: number, d: Distribution | null): string[] {
  if (!d) return [`${target.label}: no rule matches; all ${count} calls are left alone`];
  const mapped = d.mapped ? ' (answered as IPv4-mapped addresses)' : '';
  const lines = [`${target.label}: line ${d.line} (${d.rule}), policy ${d.policy}, ${count} decisions${mapped}`];
  const width = Math.max('source'.length, ...d.rows.map((r) => r.source.length));
  lines.push(`  ${'source'.padEnd(width)}  ${'count'.padStart(9)}  ${'share'.padStart(6)}`);
  for (const { source, count: n } of d.rows) {
    const share = `${((100 * n) / count).toFixed(1)}%`;
    // the bar is the share: a full bar is every decision
    const bar = '#'.repeat(Math.round((BAR_WIDTH * n) / count));
    lines.push(`  ${source.padEnd(width)}  ${String(n).padStart(9)}  ${share.padStart(6)}  ${bar}`.trimEnd());
  }
  return lines;
}

export async function simulate(options: SimulateOptions, ctx: CommandContext): Promise<number> {
  const file = options.config ?? defaultConfigFile(ctx.env);
  const engine = await loadConfigFile(file, ctx, options.seed ? { seed: options.seed } : {});
  reportErrors(file, engine, ctx.io);
  const target = await resolveTarget(options, engine, ctx);
  const progress = ctx.io.progress;
  const distribution = simulateTarget(engine, target, options.count,
    progress && ((done) => progress(`simulate: ${done} of ${options.count} decisions`)));
  progress?.('');
  if (options.json) {
    ctx.io.out(JSON.stringify(distribution ? {
      schema: JSON_SCHEMA, line: distribution.line, rule: distribution.rule, policy: distribution.policy,
      mapped: distribution.mapped, count: options.count,
      rows: distribution.rows.map((r) => ({ ...r, share: r.count / options.count })),
    } : { schema: JSON_SCHEMA, line: null, count: options.count }));
    return EXIT_OK;
  }
  for (const line of formatDistribution(target, options.count, distribution)) ctx.io.out(line);
  return EXIT_OK;
}
