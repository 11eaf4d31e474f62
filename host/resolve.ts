// Host-name resolution for the engine's two-phase load: the engine names what it needs,
// the host resolves it. A Resolver returns address literals, or rejects with an error
// whose `code` says why (Node's dns codes: ENOTFOUND, EAI_AGAIN, ...).
import { lookup } from 'node:dns/promises';
import { REASON_NOT_FOUND, REASON_OTHER, REASON_TEMPORARY } from './abi.js';

/** Every address (IPv4 and IPv6, as text) of a host name. */
export type Resolver = (name: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo through libuv), as the preload library uses it. */
export const systemResolver: Resolver = async (name) => {
  const answers = await lookup(name, { all: true });
  return answers.map((a) => a.address);
};

/** What a static table (tests, `resolve` of the shared cases) says about a name. */
export type ResolveTable = Readonly<Record<string, readonly string[] | 'fail'>>;

/**
 * A resolver answering from a table; names are looked up case-insensitively, as DNS
 * does. A name that is missing, or marked 'fail', does not exist (ENOTFOUND).
 */
export function tableResolver(table: ResolveTable): Resolver {
  const byName = new Map(Object.entries(table).map(([name, v]) => [name.toLowerCase(), v]));
  return async (name) => {
    const answer = byName.get(name.toLowerCase());
    if (answer === undefined || answer === 'fail') throw resolveError(name, 'ENOTFOUND');
    return answer;
  };
}

/** An error as Node's resolver makes it, for resolvers that fail on purpose. */
export function resolveError(name: string, code: string): Error {
  return Object.assign(new Error(`${code} ${name}`), { code, hostname: name });
}

/** The sv_answer_error reason for a resolver's error. */
export function failureReason(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOTFOUND' || code === 'ENODATA') return REASON_NOT_FOUND;
  if (code === 'EAI_AGAIN' || code === 'ETIMEOUT') return REASON_TEMPORARY;
  return REASON_OTHER;
}
