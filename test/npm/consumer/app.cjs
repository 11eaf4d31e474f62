// A CommonJS consumer of the installed package (argv[2]: the exports to expect, as JSON).
'use strict';
const sv = require('src-vipa');
const useAll = require('./use.cjs');

useAll(sv, JSON.parse(process.argv[2])).then((sources) => console.log(`cjs ${sources.join(' ')}`), (error) => {
  console.error(error);
  process.exitCode = 1;
});
