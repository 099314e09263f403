// The CLI's launcher, run by bin/tsdocker: loads the bundled CLI with a V8 code
// cache (dist/tsdocker.cache, made at build time and refreshed when V8 rejects
// it), so a command does not pay to compile the bundle again. (A V8 startup
// snapshot of the bundle was tried: its 5.6 MB take as long to deserialize as
// the bundle takes to load.)
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const dist = path.join(__dirname, '..', 'dist');
const file = path.join(dist, 'tsdocker.js');
const cacheFile = path.join(dist, 'tsdocker.cache');
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // no cache yet: made below
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      fs.writeFileSync(cacheFile, script.createCachedData());
    } catch {
      // read-only install: run without a cache
    }
  });
}
const mod = new Module(file, module);
mod.filename = file;
mod.paths = Module._nodeModulePaths(dist);
script.runInThisContext()(mod.exports, require, mod, file, dist);
