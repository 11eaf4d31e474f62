// The errors the src-vipa package throws. Each class has a stable `code`, as Node's own
// errors do, so that callers can test `error.code` rather than parse messages. The CLI
// prints the same messages; docs/node.md lists the codes.

export type SrcVipaErrorCode =
  | 'ERR_SV_CONFIG' | 'ERR_SV_ADDRESS' | 'ERR_SV_ABI' | 'ERR_SV_ENGINE' | 'ERR_SV_OPTIONS'
  | 'ERR_SV_TIMEOUT' | 'ERR_SV_USAGE' | 'ERR_SV_CASE';

/** The base class: `code` names the kind of failure and never changes between versions. */
export class SrcVipaError extends Error {
  readonly code: SrcVipaErrorCode;

  constructor(code: SrcVipaErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration file that cannot be read (missing, a directory, no permission, too large). */
export class ConfigError extends SrcVipaError {
  /** The file, when there is one. */
  readonly path: string | undefined;

  constructor(message: string, path?: string, options?: ErrorOptions) {
    super('ERR_SV_CONFIG', message, options);
    this.path = path;
  }
}

/** Text that should be an IP address, a port or an address family, and is not. */
export class AddressError extends SrcVipaError {
  constructor(message: string) {
    super('ERR_SV_ADDRESS', message);
  }
}

/** An engine module of another ABI, or a file that is not a src-vipa engine at all. */
export class AbiError extends SrcVipaError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SV_ABI', message, options);
  }
}

/** The engine failed: it trapped (the Engine is then unusable) or refused a call. */
export class EngineError extends SrcVipaError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SV_ENGINE', message, options);
  }
}

/** Options that contradict each other or have the wrong type. */
export class OptionsError extends SrcVipaError {
  constructor(message: string) {
    super('ERR_SV_OPTIONS', message);
  }
}

/** A connection not made within the `timeout` of agent(), dispatcher() or connect(). */
export class ConnectTimeoutError extends SrcVipaError {
  constructor(message: string) {
    super('ERR_SV_TIMEOUT', message);
  }
}

/** A command used wrongly, or a file it cannot read: the CLI prints one line and exits 2. */
export class UsageError extends SrcVipaError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SV_USAGE', message, options);
  }
}

/** A policy test case file (`src-vipa test`) that is not valid. */
export class CaseError extends SrcVipaError {
  constructor(message: string) {
    super('ERR_SV_CASE', message);
  }
}

/** Node's description of a failed file operation, in plain words. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'it is a directory, not a file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'ELOOP': return 'too many symbolic links';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    default: return (error as Error)?.message ?? String(error);
  }
}
