// The CLI's launcher, run by bin/tsdocker: loads the bundled CLI with a V8 code
// cache, so a command does not pay to compile the bundle again. One cache per
// command (dist/code-cache/<command>.cache): V8 writes into a cache the
// functions the run compiled, so `ps` finds its formatter and requests already
// compiled, `run` its streams. A command's first run starts from the cache
// the build made (dist/tsdocker.cache, from `--help`) and writes its own, as
// does a run whose cache V8 rejects (a new build); a read-only install runs
// with the build's. (A V8 startup snapshot of the bundle was tried: its 5.6 MB
// take as long to deserialize as the bundle takes to load.)
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const dist = path.join(__dirname, '..', 'dist');
const file = path.join(dist, 'tsdocker.js');
/** The command's name: the first argument that is neither a global flag nor a global flag's value. */
function commandName(args) {
  const valued = new Set(['-H', '--host', '-c', '--context', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey']);
  for (let i = 0; i < args.length; i++) {
    if (valued.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return /^[a-z][a-z0-9-]{0,30}$/.test(args[i]) ? args[i] : undefined;
  }
  return undefined;
}
const command = commandName(process.argv.slice(2));
const buildCache = path.join(dist, 'tsdocker.cache');
const cacheFile = command === undefined ? buildCache : path.join(dist, 'code-cache', `${command}.cache`);
let cachedData;
let own = true;
for (const f of cacheFile === buildCache ? [buildCache] : [cacheFile, buildCache]) {
  try {
    cachedData = fs.readFileSync(f);
    break;
  } catch {
    own = false; // this command's first run: from the build's cache, then its own
  }
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
if (!own || cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      const temp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(temp, script.createCachedData());
      fs.renameSync(temp, cacheFile);
    } catch {
      // read-only install: the build's cache serves
    }
  });
}
const mod = new Module(file, module);
mod.filename = file;
mod.paths = Module._nodeModulePaths(dist);
script.runInThisContext()(mod.exports, require, mod, file, dist);
