// An ES module consumer of the installed package (argv[2]: the exports to expect, as JSON).
import * as sv from 'src-vipa';
import useAll from './use.cjs';
import { createRequire } from 'node:module';

const sources = await useAll(sv, JSON.parse(process.argv[2]));
// import and require give the one module (no second copy of Engine or the errors)
const required = createRequire(import.meta.url)('src-vipa');
if (required.Engine !== sv.Engine || required.SrcVipaError !== sv.SrcVipaError) throw new Error('two copies of the module');
console.log(`esm ${sources.join(' ')}`);
