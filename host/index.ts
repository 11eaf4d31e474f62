// The public surface of the src-vipa package (docs/node.md documents every export).
export {
  type BindRule, type Decision, DEFAULT_CONFIG_FILE, defaultConfigFile, type DestinationRule,
  type Diagnostic, Engine, type Family, type LoadOptions, type Query, type Rule, type RuleDecision,
} from './engine.js';
export { agent, type AgentOptions, httpsAgent, type HttpsAgentSourceOptions } from './agent.js';
export { dispatcher, type DispatcherOptions } from './dispatcher.js';
export { bindSocket, connect, type ConnectOptions } from './connect.js';
export { type LookupFunction, type SourceOptions } from './source.js';
export {
  AbiError, AddressError, CaseError, ConfigError, ConnectTimeoutError, EngineError, OptionsError,
  SrcVipaError, type SrcVipaErrorCode, UsageError,
} from './errors.js';
export {
  processCounters, type RrConfigIdentity, type RrCounterProvider, type RrCounters, setDefaultRrProvider,
} from './rr.js';
export { type ResolveTable, type Resolver, resolveError, systemResolver, tableResolver } from './resolve.js';
export type { DiagnosticName, Severity } from './abi.js';
export { check, checkReport, type CheckOptions, type CheckReport } from './commands/check.js';
export { explain, explainTarget, type ExplainOptions, type Explanation } from './commands/explain.js';
export { simulate, simulateTarget, type Distribution, type SimulateOptions } from './commands/simulate.js';
export { type CommandContext, type Io } from './commands/context.js';
export { resolveTarget, type Target, type TargetOptions } from './commands/target.js';
export { test, type TestOptions } from './commands/test.js';
export {
  type ConnectStep, type BindStep, type Expectation, type ExpectedDiagnostic, type PolicyCase, parseCase,
  type QueryStep, type Step,
} from './policytest/case.js';
export { type CaseResult, runCase, type RunOptions, type StepResult } from './policytest/run.js';
