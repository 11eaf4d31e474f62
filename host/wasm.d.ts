// The part of the WebAssembly JavaScript API the host uses. TypeScript declares it only in
// its DOM library, which a Node program should not pull in; these declarations are for
// compiling and never reach the published types.
declare namespace WebAssembly {
  type ImportValue = (...args: number[]) => number | void;
  type Imports = Record<string, Record<string, ImportValue>>;
  class Module {
    constructor(bytes: BufferSource);
    static exports(module: Module): { name: string; kind: string }[];
    static imports(module: Module): { module: string; name: string; kind: string }[];
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  class RuntimeError extends Error {}
}
