// Keeps the architecture's promises checkable (docs/architecture.md): files and
// functions stay small, no import circle among src/ files, and every import
// points down the layers (or sideways within one). Run it as
// `node scripts/check-layers.mjs [root]`; test/unit/layers.test.ts runs it on
// the tree and on a fixture that breaks every rule.
// It reads TypeScript with the compiler API (typescript is a devDependency
// already): imports are ES import/export declarations, import() and
// `import x = require()`, type-only ones included (a type from a higher layer
// is still an arrow that points up). In native/src it checks the #include "…"
// graph for circles; calls between .c files through a shared header (what
// shim_main.c and shim_loop.c do with shim.h) are not includes and are not seen.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;

/**
 * Layers, lowest first: a module may import its own layer and those below;
 * the first entry that names a path decides its layer.
 * src/cli stands apart: it may import only what KNOWN_CLI_IMPORTS names.
 */
export const LAYERS = [
  ['src/errors.ts', 'src/api', 'src/types'],
  // src/engine/drivers.ts: the interfaces the engine asks of its drivers and
  // the drivers implement, so it sits below them (it imports only src/api).
  ['src/state', 'src/native', 'src/system', 'src/engine/drivers.ts'],
  ['src/archive', 'src/graph', 'src/runtime'],
  ['src/container', 'src/network', 'src/volume', 'src/registry', 'src/build'],
  ['src/engine'],
  ['src/daemon'],
];
export const CLI = 'src/cli';
export const CLI_MAY_IMPORT = ['src/api', 'src/archive', 'src/cli', 'src/errors.ts', 'src/types'];

/**
 * Known breaches, each with who is removing it. An entry that no longer
 * matches a breach is reported too, so the lists only shrink.
 */
export const KNOWN = {
  /** Files over MAX_FILE_LINES (path, or a *.ext pattern for data). */
  longFiles: {
    '*.json': 'data, not code (seccomp profile)',
    'src/daemon/schemas/engine-api.ts': 'generated from the Engine API spec by scripts/gen-api-schemas.mjs',
    'src/container/service.ts': 'being split (core)',
    'src/container/logs.ts': 'being split (native)',
    'src/container/cgroups.ts': 'being split (core/shared)',
    'src/cli/commands/containers-opts.ts': 'being split (cli)',
  },
  /** Functions over MAX_FUNCTION_LINES, as "path#name". */
  longFunctions: {
    'src/cli/commands/containers-mounts.ts#parseMount': 'being split (cli)',
    'src/cli/commands/containers-opts.ts#buildCreateRequest': 'being split (cli)',
    'src/cli/commands/containers.ts#commands': 'being split (cli)',
    'src/container/service.ts#ContainerService.start': 'being split (core: start pipeline)',
    'src/daemon/daemon.ts#startDaemon': 'being split (core: restore order)',
    'src/daemon/routes/containers.ts#containerRoutes': 'being split (core: parse → job → reply)',
    'src/daemon/routes/images.ts#imageRoutes': 'being split (core: parse → job → reply)',
    'src/engine/system.ts#systemInfo': 'being split (validation: /info fields)',
  },
  /** Upward or forbidden imports, as "from -> to". */
  imports: {
    'src/cli/commands/cp-copy.ts -> src/container/archive-extract.ts': 'archives fixes it (src/archive)',
    'src/cli/commands/cp-copy.ts -> src/container/archive-paths.ts': 'archives fixes it (src/archive)',
    'src/cli/commands/cp-copy.ts -> src/container/archive-tar.ts': 'archives fixes it (src/archive)',
    'src/cli/commands/cp-copy.ts -> src/graph/compression.ts': 'archives fixes it (src/archive)',
    'src/cli/commands/cp-run.ts -> src/container/archive-paths.ts': 'archives fixes it (src/archive)',
    'src/cli/commands/cp-run.ts -> src/container/archive-tar.ts': 'archives fixes it (src/archive)',
    'src/cli/commands/containers-run.ts -> src/graph/reference.ts': 'cli (the reference grammar wants a home the CLI may import, e.g. src/api)',
    'src/container/service.ts -> src/engine/events.ts': 'core (events leave through the job context)',
    'src/container/service.ts -> src/engine/jobs.ts': 'core (restarts by policy as jobs)',
  },
  /** Import circles, as their files sorted and joined by " <-> ". */
  circles: {
    'src/container/pause.ts <-> src/container/service.ts': 'core (service.ts re-cut)',
  },
};

/** The rule's layer index of a src/ path, 'cli', or undefined when no layer names it. */
export function layerOf(path) {
  if (path === CLI || path.startsWith(`${CLI}/`)) return 'cli';
  for (let i = 0; i < LAYERS.length; i++) {
    if (LAYERS[i].some((p) => path === p || path.startsWith(`${p}/`))) return i;
  }
  return undefined;
}

function allowedImport(from, to) {
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  if (fromLayer === 'cli') return CLI_MAY_IMPORT.some((p) => to === p || to.startsWith(`${p}/`));
  if (toLayer === 'cli') return false;
  return fromLayer !== undefined && toLayer !== undefined && toLayer <= fromLayer;
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const posix = (p) => p.split(sep).join('/');
const lineCount = (text) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

function matchesLongFileEntry(path, entry) {
  return entry.startsWith('*') ? path.endsWith(entry.slice(1)) : path === entry;
}

/** Module specifiers a TypeScript file imports. */
function importsOf(sf) {
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression;
      if (ts.isStringLiteral(e)) out.push(e.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative specifier names (x → x.ts, x/index.ts, x.json), root-relative; undefined for packages. */
function resolveSpecifier(root, fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(root, dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.d.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return posix(relative(root, candidate));
  }
  return posix(relative(root, base));
}

function functionName(node, sf) {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isPrivateIdentifier(node.name))) {
    const owner = node.parent && (ts.isClassLike(node.parent) || ts.isObjectLiteralExpression(node.parent)) && node.parent.name ? `${node.parent.name.text}.` : '';
    return owner + node.name.text;
  }
  if (ts.isConstructorDeclaration(node)) return `${node.parent.name?.text ?? 'class'}.constructor`;
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && ts.isIdentifier(p.name)) return p.name.text;
  return `<anonymous>@${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
}

/** Every function-like with a body and its length in lines (nested functions counted in their own right too). */
function functionsOf(sf) {
  const out = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ name: functionName(node, sf), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Strongly connected components with more than one member (or a self-edge): Tarjan's algorithm. */
export function circles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? new Set()).has(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

/** #include "…" edges among native/src files. */
function includeGraph(root) {
  const dir = join(root, 'native', 'src');
  const graph = new Map();
  for (const file of walk(dir).filter((f) => /\.[ch]$/.test(f))) {
    const rel = posix(relative(root, file));
    const deps = new Set();
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      deps.add(posix(relative(root, resolve(dirname(file), m[1]))));
    }
    graph.set(rel, deps);
  }
  return graph;
}

/** Every breach in the tree at `root`, and the KNOWN entries that match none. */
export function check(root, known = KNOWN) {
  const problems = [];
  const stale = [];
  const used = new Set();
  const note = (kind, key, message) => {
    if (Object.hasOwn(known[kind], key)) used.add(`${kind}:${key}`);
    else problems.push(message);
  };

  const files = walk(join(root, 'src')).map((f) => posix(relative(root, f))).sort();
  const graph = new Map();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const lines = lineCount(text);
    if (lines > MAX_FILE_LINES) {
      const entry = Object.keys(known.longFiles).find((e) => matchesLongFileEntry(file, e));
      if (entry) used.add(`longFiles:${entry}`);
      else problems.push(`${file}: ${lines} lines (over ${MAX_FILE_LINES}): give a concern its own file`);
    }
    if (!file.endsWith('.ts')) continue;
    if (layerOf(file) === undefined) problems.push(`${file}: in no layer of scripts/check-layers.mjs LAYERS: place its directory there`);
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    for (const fn of functionsOf(sf)) {
      if (fn.lines > MAX_FUNCTION_LINES) note('longFunctions', `${file}#${fn.name}`, `${file}#${fn.name}: ${fn.lines} lines (over ${MAX_FUNCTION_LINES})`);
    }
    const deps = new Set();
    for (const spec of importsOf(sf)) {
      const target = resolveSpecifier(root, file, spec);
      if (target === undefined || !target.startsWith('src/')) continue;
      deps.add(target);
      if (!allowedImport(file, target)) {
        note('imports', `${file} -> ${target}`, `${file} -> ${target}: imports from ${describeLayer(target)}, above or beside ${describeLayer(file)}`);
      }
    }
    graph.set(file, deps);
  }
  for (const scc of circles(graph)) {
    const key = scc.join(' <-> ');
    note('circles', key, `import circle: ${key}`);
  }
  for (const scc of circles(includeGraph(root))) problems.push(`#include circle: ${scc.join(' <-> ')}`);

  for (const kind of Object.keys(known)) {
    for (const key of Object.keys(known[kind])) {
      if (!used.has(`${kind}:${key}`)) stale.push(`${kind} "${key}" (${known[kind][key]}) no longer happens: remove it from KNOWN`);
    }
  }
  return { problems, stale };
}

function describeLayer(path) {
  const layer = layerOf(path);
  if (layer === 'cli') return 'the CLI';
  if (layer === undefined) return 'no layer';
  return `layer ${layer} (${LAYERS[layer].join(', ')})`;
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const { problems, stale } = check(root);
  for (const p of [...problems, ...stale]) console.log(p);
  if (problems.length + stale.length > 0) process.exit(1);
  console.log('layers: ok');
}
