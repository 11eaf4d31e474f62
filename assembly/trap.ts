// AssemblyScript's `abort` (failed assertions, out of memory in the runtime) becomes a
// trap: the host sees a broken instance and passes its calls through. Routing it here
// (asconfig.json "use") also means the module imports nothing but the ABI's imports.
export function engineAbort(message: usize, fileName: usize, line: u32, column: u32): void {
  unreachable();
}
