// What explain and simulate ask the engine about: a connect to DEST (an address, or a
// host name resolved here) or a bind of the wildcard address on a port.
import type { Engine, Family, Query } from '../engine.js';
import { systemResolver } from '../resolve.js';
import { type CommandContext, UsageError } from './context.js';

export type TargetOptions =
  | { dest: string; port?: number }
  | { bind: number; family?: Family; v6only?: boolean };

export interface Target {
  query: Query;
  /** How the output names it: "10.1.2.3 port 443", "bind of :: port 80 (dual-stack)". */
  label: string;
  /** For a connect: the address asked about (DEST itself, or what the host name resolved to). */
  address?: string;
}

export async function resolveTarget(options: TargetOptions, engine: Engine,
                                    ctx: CommandContext): Promise<Target> {
  if ('bind' in options) {
    const family = options.family ?? 4;
    // an AF_INET6 socket is dual-stack unless IPV6_V6ONLY is set (Linux's default)
    const dualstack = family === 6 && !options.v6only;
    const wildcard = family === 4 ? '0.0.0.0' : '::';
    return {
      query: { kind: 'bind', port: options.bind, family, dualstack },
      label: `bind of ${wildcard} port ${options.bind}${family === 6 ? (dualstack ? ' (dual-stack)' : ' (IPv6 only)') : ''}`,
    };
  }
  const { dest, port } = options;
  const address = engine.parseAddress(dest) ? dest : await resolveDestination(dest, engine, ctx);
  const shown = address === dest ? dest : `${dest} (${address})`;
  return {
    query: { kind: 'connect', address, port: port ?? 0 },
    label: port === undefined ? shown : `${shown} port ${port}`,
    address,
  };
}

// The first address of a host name, as a program that connects to it would mostly use.
async function resolveDestination(name: string, engine: Engine, ctx: CommandContext): Promise<string> {
  let addresses: readonly string[];
  try {
    addresses = await (ctx.resolver ?? systemResolver)(name);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(`'${name}' is not an IP address, and it does not resolve${code ? ` (${code})` : ''}`);
  }
  const usable = addresses.find((a) => engine.parseAddress(a));
  if (!usable) throw new UsageError(`'${name}' resolves to no usable IP address`);
  return usable;
}
