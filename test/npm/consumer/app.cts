// A CommonJS TypeScript consumer: require() of the package, with its types.
import sv = require('src-vipa');

async function main(): Promise<string> {
  const engine: sv.Engine = await sv.Engine.load('10.0.0.0/8 onevipa 192.0.2.1');
  const decision: sv.Decision = engine.select({ kind: 'connect', address: '10.0.0.1' });
  return decision.code === 'bind' ? decision.source : 'pass';
}
void main();
