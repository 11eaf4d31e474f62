// `src-vipa explain`: which rule a connect (or a wildcard bind) gets, and which source
// the next decision picks.
import type { Engine, Rule } from '../engine.js';
import {
  type CommandContext, defaultConfigFile, EXIT_OK, JSON_SCHEMA, loadConfigFile, reportErrors,
} from './context.js';
import type { CommandHelp } from './help.js';
import { resolveTarget, type Target, type TargetOptions } from './target.js';

export type ExplainOptions = TargetOptions & {
  /** Default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf. */
  config?: string;
  json?: boolean;
};

export interface Explanation {
  line: number;
  /** DEST/PREFIX of a destination rule, `.INADDR_ANY FIRST-LAST` of a bind statement. */
  rule: string;
  policy: string;
  sources: string[];
  /** The source the next decision picks (::ffff:a.b.c.d when an IPv4 rule answers an IPv6 socket). */
  source: string;
  index: number;
  /** 'keep': the source is the wildcard, so the call is left alone. */
  code: 'bind' | 'keep';
  mapped: boolean;
  /**
   * For an rr:ABC rule, where its turns are counted: 'process' (in this command only; the
   * counters of running programs are never moved) or 'host'.
   */
  rrCounter?: 'host' | 'process';
}

export const explainHelp: CommandHelp = {
  name: 'explain',
  synopsis: [
    'explain [--config FILE] [--json] DEST [PORT]',
    'explain [--config FILE] [--json] --bind PORT [--family 4|6] [--v6only]',
  ],
  summary: 'the rule a destination or a wildcard bind gets',
  description: `Shows the rule that a socket connecting to DEST (an IPv4 or IPv6 address, or a host
name; ::ffff:a.b.c.d is matched by the IPv4 rules) would get, or the .INADDR_ANY
statement that a bind of the wildcard address on PORT would get: its line, policy and
sources, and the source the next decision picks.`,
  options: [
    ['--config FILE', 'the configuration (default: $SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf)'],
    ['--json', 'print {"schema":1,"line":…,"rule":…,"policy":…,"sources":[…],"source":…,\n"index":…,"code":…,"mapped":…} (and "address" for a host name,\n"rrCounter" for an rr rule); {"schema":1,"line":null} when no rule matches'],
    ['--bind PORT', 'explain a bind of the wildcard address on PORT'],
    ['--family 4|6', 'the family of that bind (default 4)'],
    ['--v6only', 'the IPv6 socket has IPV6_V6ONLY set (default: dual-stack; only\nIPv6 statements answer IPv6 sockets either way)'],
  ],
};

/** The rule that answers the target and the next decision, or null when none does. */
export function explainTarget(engine: Engine, target: Target): Explanation | null {
  const decision = engine.select(target.query);
  if (decision.code === 'pass') return null;
  const rule = engine.rule(decision.rule)!;
  return {
    line: decision.line,
    rule: describeRule(rule),
    policy: decision.policy,
    sources: rule.sources,
    source: decision.source,
    index: decision.index,
    code: decision.code,
    mapped: decision.mapped,
    ...(decision.policy.startsWith('rr:') ? { rrCounter: engine.rrScope } : {}),
  };
}

export function describeRule(rule: Rule): string {
  if (rule.kind === 'dest') return `${rule.network}/${rule.prefix}`;
  const [first, last] = rule.ports;
  return `.INADDR_ANY ${first === last ? first : `${first}-${last}`}`;
}

export function formatExplanation(target: Target, e: Explanation | null): string[] {
  if (!e) {
    return target.query.kind === 'connect'
      ? [`${target.label}: no rule matches; the socket is left alone`]
      : [`${target.label}: no .INADDR_ANY statement covers the port; the bind is left alone`];
  }
  const next = e.code === 'keep'
    ? `${e.sources[e.index]}: the wildcard, so the call is left alone`
    : `${e.source}${e.mapped ? ' (an IPv4 rule, answered with an IPv4-mapped address)' : ''}`;
  const counted = e.rrCounter === 'process' ? ' (rr counted in this command only)' : '';
  return [
    target.label,
    `  rule         line ${e.line}: ${e.rule}`,
    `  policy       ${e.policy}${counted}`,
    `  sources      ${e.sources.join(' ')}`,
    `  next source  ${next}`,
  ];
}

// DEST was a host name: the JSON says what it resolved to.
function resolvedName(options: ExplainOptions, target: Target): boolean {
  return 'dest' in options && target.address !== undefined && target.address !== options.dest;
}

export async function explain(options: ExplainOptions, ctx: CommandContext): Promise<number> {
  const file = options.config ?? defaultConfigFile(ctx.env);
  const engine = await loadConfigFile(file, ctx);
  reportErrors(file, engine, ctx.io);
  const target = await resolveTarget(options, engine, ctx);
  const explanation = explainTarget(engine, target);
  if (options.json) {
    ctx.io.out(JSON.stringify(explanation
      ? { schema: JSON_SCHEMA, ...(resolvedName(options, target) ? { address: target.address } : {}), ...explanation }
      : { schema: JSON_SCHEMA, line: null }));
  } else {
    for (const line of formatExplanation(target, explanation)) ctx.io.out(line);
    const ipv4 = explanation ? null : ipv4StatementFor(engine, target);
    if (ipv4) {
      ctx.io.out(`  (line ${ipv4}'s IPv4 statement covers the port, but IPv4 statements never answer IPv6 sockets: ` +
        'a mapped source would take IPv6 away; write an IPv6 statement for them)');
    }
  }
  return EXIT_OK;
}

// An IPv6 bind that no statement answers: the line of an IPv4 statement for its port, if any.
function ipv4StatementFor(engine: Engine, target: Target): number | null {
  const q = target.query;
  if (q.kind !== 'bind' || q.family !== 6) return null;
  const d = engine.select({ kind: 'bind', port: q.port, family: 4 });
  if (d.code === 'pass') return null;
  if (d.counted) engine.release(d.rule, d.index);
  return d.line;
}
