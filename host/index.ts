// The public surface of the src-vipa package: `import { Engine } from 'src-vipa'`.
export {
  type BindRule, type Decision, type DestinationRule, type Diagnostic, Engine, type Family,
  type LoadOptions, type Query, type Rule, type RuleDecision,
} from './engine.js';
export { type ResolveTable, type Resolver, resolveError, systemResolver, tableResolver } from './resolve.js';
export type { DiagnosticName, Severity } from './abi.js';
export { check, checkReport, type CheckOptions, type CheckReport } from './commands/check.js';
export { explain, explainTarget, type ExplainOptions, type Explanation } from './commands/explain.js';
export { simulate, simulateTarget, type Distribution, type SimulateOptions } from './commands/simulate.js';
export { type CommandContext, type Io, UsageError } from './commands/context.js';
export { resolveTarget, type Target, type TargetOptions } from './commands/target.js';
