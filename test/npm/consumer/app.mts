// A TypeScript consumer of the installed package: checked with tsc --noEmit --strict.
// Every export is used with its types.
import { request } from 'node:http';
import {
  AbiError, AddressError, agent, type AgentOptions, bindSocket, type BindRule, CaseError, check,
  type CheckOptions, checkReport, type CheckReport, type CommandContext, ConfigError, connect,
  type BindStep, type CaseResult, type ConnectStep, type ConnectOptions, ConnectTimeoutError,
  type Expectation, type ExpectedDiagnostic, parseCase, type PolicyCase, type QueryStep, runCase,
  type RunOptions, type Step, type StepResult, test, type TestOptions, type Decision, DEFAULT_CONFIG_FILE, defaultConfigFile,
  type DestinationRule, type Diagnostic, type DiagnosticName, dispatcher, type DispatcherOptions,
  type Distribution, Engine, EngineError, explain, type ExplainOptions, type Explanation,
  explainTarget, type Family, httpsAgent, type HttpsAgentSourceOptions, type Io, type LoadOptions,
  type LookupFunction, OptionsError, processCounters, type Query, resolveError, type ResolveTable,
  type Resolver, resolveTarget, type RrConfigIdentity, type RrCounterProvider, type RrCounters,
  type Rule, type RuleDecision, setDefaultRrProvider, type Severity, simulate, type SimulateOptions,
  simulateTarget, type SourceOptions, SrcVipaError, type SrcVipaErrorCode, systemResolver,
  tableResolver, type Target, type TargetOptions, UsageError,
} from 'src-vipa';

const table: ResolveTable = { 'db.example': ['192.0.2.5'] };
const resolver: Resolver = tableResolver(table);
const load: LoadOptions = { resolver, seed: [1, 2], onLog: (level: number, message: string) => void [level, message] };
const engine: Engine = await Engine.open(defaultConfigFile({ SRC_VIPA_CONFIG_FILE: 'x.conf' }), load);
const query: Query = { kind: 'connect', address: '10.0.0.1', port: 443, proto: 'tcp' };
const decision: Decision = engine.select(query);
if (decision.code !== 'pass') {
  const ruled: RuleDecision = decision;
  const family: Family = ruled.family;
  engine.release(ruled.rule, ruled.index + family);
}
for (const rule of engine.rules() as Rule[]) {
  const text: string = rule.kind === 'dest' ? (rule as DestinationRule).network : String((rule as BindRule).ports[0]);
  void text;
}
const diagnostics: Diagnostic[] = engine.diagnostics();
const names: DiagnosticName[] = diagnostics.map((d) => d.code);
const severities: Severity[] = diagnostics.map((d) => d.severity);
const tally: { counts: number[] } | null = engine.tally(query, 10);
void [names, severities, tally, DEFAULT_CONFIG_FILE, systemResolver, resolveError('x', 'ENOTFOUND')];

const counters: RrCounters = processCounters();
const provider: RrCounterProvider = (identity: RrConfigIdentity) => ({ scope: 'host', next: () => (identity.file ? 0 : 1) });
setDefaultRrProvider(provider);
setDefaultRrProvider(null);
void counters.next(1, 0o600);

const lookup: LookupFunction = (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
const source: SourceOptions = { engine, timeout: 1000, lookup };
const agentOptions: AgentOptions = { ...source, keepAlive: true };
request('http://127.0.0.1/', { agent: agent(agentOptions) }).destroy();
const httpsOptions: HttpsAgentSourceOptions = { config: '/etc/src_vipa.conf', ca: 'pem' };
void httpsAgent(httpsOptions);
const dispatcherOptions: DispatcherOptions = { engine, connections: 4, connect: { rejectUnauthorized: true } };
await dispatcher(dispatcherOptions).close();
const connectOptions: ConnectOptions = { engine, host: '127.0.0.1', port: 9 };
connect(connectOptions, () => {}).destroy();
const bound: Promise<Decision> = bindSocket((await import('node:dgram')).createSocket('udp4'), '127.0.0.1', 9, source);
void bound;

const lines: string[] = [];
const io: Io = { out: (line) => lines.push(line), err: (line) => lines.push(line) };
const ctx: CommandContext = { io, env: {}, resolver };
const checkOptions: CheckOptions = { file: 'x.conf', json: true, quiet: true, noResolve: true };
const status: number = await check(checkOptions, ctx);
const report: CheckReport = checkReport(diagnostics);
const explainOptions: ExplainOptions = { config: 'x.conf', dest: '10.0.0.1', port: 443, json: true };
await explain(explainOptions, ctx);
const simulateOptions: SimulateOptions = { config: 'x.conf', bind: 80, family: 6, count: 5, seed: [1, 0] };
await simulate(simulateOptions, ctx);
const targetOptions: TargetOptions = { dest: '10.0.0.1', port: 80 };
const target: Target = await resolveTarget(targetOptions, engine, ctx);
const explanation: Explanation | null = explainTarget(engine, target);
const distribution: Distribution | null = simulateTarget(engine, target, 10);
void [status, report, explanation, distribution];

const errors: SrcVipaError[] = [new ConfigError('m', 'x.conf'), new AddressError('m'), new AbiError('m'),
  new EngineError('m'), new OptionsError('m'), new ConnectTimeoutError('m'), new UsageError('m'), new CaseError('m')];
const codes: SrcVipaErrorCode[] = errors.map((e) => e.code);
void codes;

const policyCase: PolicyCase = parseCase('{"name":"x","steps":[{"bind":80,"expect":{"code":"pass"}}]}', 'x.json');
const steps: Step[] = policyCase.steps;
const queries: QueryStep[] = steps.filter((s): s is QueryStep => s.kind === 'connect' || s.kind === 'bind');
const binds: BindStep[] = queries.filter((s): s is QueryStep & BindStep => s.kind === 'bind');
const connects: ConnectStep[] = queries.filter((s): s is QueryStep & ConnectStep => s.kind === 'connect');
const expectation: Expectation = { sourceIn: ['192.0.2.0/24'], code: 'bind' };
const expected: ExpectedDiagnostic = { line: 1, severity: 'warning', code: 'SHADOWED' };
const runOptions: RunOptions = { config: { bytes: new Uint8Array(), name: 'empty' }, seed: [1, 2], resolve: false };
const result: CaseResult = await runCase(policyCase, runOptions);
const stepResults: StepResult[] = result.steps;
const testOptions: TestOptions = { cases: ['x.json'], format: 'tap', resolve: false };
const tested: number = await test(testOptions, ctx);
void [binds, connects, expectation, expected, stepResults, tested];
