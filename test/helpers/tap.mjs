// node --import ./test/helpers/tap.mjs ... uvu: every uvu test reports one TAP line.
// The resolve hook hands test files (and uvu's runner) test/helpers/uvu-tap.mjs for
// 'uvu'; that module wraps uvu's suites. See its header.
import { register } from 'node:module';

register('./tap-hooks.mjs', import.meta.url);
