// Request validation against the Engine API's own schemas (engine-api.ts,
// generated from the spec), each compiled at its route's first request. A body of the wrong JSON type is refused as dockerd refuses it, with
// Go's encoding/json message; what Go accepts (unknown fields, nulls) passes,
// and a null is made what Go decodes it as, so stored records are well typed.
import type { default as Ajv, AnySchema, ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler, FastifySchemaValidationError, FastifyServerOptions, RouteOptions } from 'fastify';
import { InvalidArgumentError } from '../../errors';
import { engineApi } from './engine-api';
import type { JsonType, SchemaNode } from './types';

/** The request bodies with a schema (definitions in engine-api.ts). */
export type BodySchemaName = 'ContainerCreateRequest' | 'ContainerUpdateRequest' | 'ContainerCommitRequest' | 'ExecConfig' | 'ExecStartConfig';

/** Nested objects and arrays refused past this depth, before parsing (Go's decoder has the same bound). */
export const MAX_JSON_DEPTH = 10_000;

/** The shared schemas, referenced by every route's schema. */
export const sharedSchemas: readonly object[] = [{ $id: engineApi.$id, definitions: engineApi.definitions }];

type AjvPlugins = NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>;
type AjvPlugin = Extract<AjvPlugins[number], (...args: never[]) => unknown>;

const addGoKeywords: AjvPlugin = (ajv) => {
  ajv.addKeyword({ keyword: 'x-go', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-go-pointer', schemaType: 'boolean' });
  // strslice.StrSlice: a lone string is a list of one.
  ajv.addKeyword({
    keyword: 'x-go-strslice',
    schemaType: 'boolean',
    modifying: true,
    compile: () => (data, cxt) => {
      const parent = cxt?.parentData;
      const key = cxt?.parentDataProperty;
      if (typeof data === 'string' && typeof parent === 'object' && parent !== null && key !== undefined) {
        (parent as Record<string | number, unknown>)[key] = [data];
      }
      return true;
    },
  });
  // Go matches field names without regard to case (the exact name first): a
  // key is renamed to its field's name. A null field keeps its zero value:
  // "", 0 or false for a scalar; nil (null) for a pointer, list, map or struct.
  ajv.addKeyword({
    keyword: 'x-go-struct',
    schemaType: 'string',
    modifying: true,
    compile: (_struct, parentSchema) => {
      const properties = (parentSchema as SchemaNode).properties ?? {};
      const names = new Map(Object.keys(properties).map((name) => [name.toLowerCase(), name]));
      return (data) => {
        if (typeof data !== 'object' || data === null || Array.isArray(data)) return true;
        const fields = data as Record<string, unknown>;
        for (const key of Object.keys(fields)) {
          const name = names.get(key.toLowerCase());
          if (name === undefined) continue;
          if (name !== key && !(name in fields)) {
            fields[name] = fields[key];
            delete fields[key];
          }
          const field = properties[name];
          const type = field?.type?.[0];
          if (fields[name] === null && !field?.['x-go-pointer'] && type !== undefined && type !== 'array' && type !== 'object') fields[name] = zeroValue(type);
        }
        return true;
      };
    },
  });
  // A null list item or map value is the zero value of its type.
  ajv.addKeyword({
    keyword: 'x-go-elem',
    schemaType: 'string',
    modifying: true,
    compile: (type) => (data, cxt) => {
      const parent = cxt?.parentData;
      const key = cxt?.parentDataProperty;
      if (data === null && typeof parent === 'object' && parent !== null && key !== undefined) {
        (parent as Record<string | number, unknown>)[key] = zeroValue(type as JsonType);
      }
      return true;
    },
  });
  return ajv;
};
/**
 * The Ajv Fastify compiles with: no coercion, no defaults, nothing removed;
 * Go's null handling. Each shared definition is compiled once (not inlined in
 * every route) and without Ajv's code optimiser or meta-schema check: that
 * took the daemon's start from ~1.3 s to ~0.3 s and ~20 MB to ~6 MB.
 */
export const ajvOptions: NonNullable<FastifyServerOptions['ajv']> = {
  customOptions: {
    coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true, verbose: true,
    inlineRefs: false, code: { optimize: false }, validateSchema: false,
  },
  plugins: [addGoKeywords],
};

/**
 * The daemon's validator compiler: one Ajv with the shared definitions and Go's
 * keywords, compiling a route's schema at its first request. Compiling them all
 * at ready() cost every daemon ~100 ms of start and ~12 MB resident, most of it
 * for routes a daemon may never serve (test/unit/api-schemas.test.ts compiles
 * every one, so a bad schema still fails the tests). The Ajv itself is made by
 * the first of them too: 0.4 MB less for a daemon that validated nothing yet.
 */
export function lazyValidatorCompiler(): FastifySchemaCompiler<unknown> {
  let ajv: Ajv | undefined;
  const made = (): Ajv => {
    if (ajv === undefined) {
      // Required here, not imported: a daemon loads Ajv's ~90 modules when it first validates, not at start.
      const ajvModule = require('ajv') as typeof import('ajv');
      ajv = new ajvModule.default(ajvOptions.customOptions);
      addGoKeywords(ajv);
      for (const schema of sharedSchemas) ajv.addSchema(schema as AnySchema);
    }
    return ajv;
  };
  return ({ schema }) => {
    let validate: ValidateFunction | undefined;
    const lazy = Object.assign(
      (data: unknown): boolean => {
        validate ??= made().compile(schema as AnySchema);
        const valid = validate(data);
        lazy.errors = validate.errors ?? null;
        return valid;
      },
      { errors: null as FastifySchemaValidationError[] | null },
    );
    return lazy;
  };
}

function zeroValue(type: JsonType): unknown {
  switch (type) {
    case 'string': return '';
    case 'integer': case 'number': return 0;
    case 'boolean': return false;
    case 'array': return [];
    default: return {};
  }
}

/** The routes whose bodies have a schema, by "METHOD /path" as registered. */
export const BODY_ROUTES: Readonly<Record<string, BodySchemaName>> = {
  'POST /containers/create': 'ContainerCreateRequest',
  'POST /containers/:id/update': 'ContainerUpdateRequest',
  'POST /commit': 'ContainerCommitRequest',
  'POST /containers/:id/exec': 'ExecConfig',
  'POST /exec/:id/start': 'ExecStartConfig',
};

/**
 * Gives a route being registered (Fastify's onRoute hook) the schemas of its
 * body and integer query parameters, and Go's messages for what they refuse.
 */
export function attachSchemas(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  for (const method of methods) {
    const key = `${method} ${route.url}`;
    const body = BODY_ROUTES[key];
    const ints = engineApi.queries[key];
    if (!body && !ints) continue;
    const schema: FastifySchema = { ...route.schema };
    if (body) schema.body = { $ref: `docker#/definitions/${body}` };
    if (ints) {
      // strconv.Atoi's syntax; a repeated parameter arrives as a list.
      const integer = { type: 'string', pattern: '^[+-]?[0-9]*$' };
      schema.querystring = {
        type: 'object',
        properties: Object.fromEntries(ints.map((name) => [name, { anyOf: [integer, { type: 'array', items: integer }] }])),
      };
    }
    route.schema = schema;
    route.schemaErrorFormatter = (errors, dataVar) => goError(errors, dataVar, rootSchema(body));
  }
}

/** Go's message for the first error Ajv found. */
function goError(errors: readonly FastifySchemaValidationError[], dataVar: string, root: SchemaNode): Error {
  const error = errors.find((e) => e.keyword !== 'anyOf') ?? errors[0];
  if (!error) return new InvalidArgumentError(`invalid ${dataVar}`);
  const data = (error as { data?: unknown }).data;
  if (dataVar === 'querystring') return new InvalidArgumentError(`strconv.Atoi: parsing ${JSON.stringify(String(data))}: invalid syntax`);
  return new InvalidArgumentError(unmarshalMessage(root, error.instancePath, data));
}

function rootSchema(name: string | undefined): SchemaNode {
  const root = name === undefined ? undefined : engineApi.definitions[name];
  return root ?? {};
}

/** encoding/json's UnmarshalTypeError text for `value` refused at `pointer` under `root`. */
export function unmarshalMessage(root: SchemaNode, pointer: string, value: unknown): string {
  const at = locate(root, pointer);
  const goType = at.strslice ? 'string' : goTypeOf(at.node);
  const jsonValue = at.strslice ? 'array' : describeValue(value, goType);
  if (at.fields.length === 0) return `json: cannot unmarshal ${jsonValue} into Go value of type ${goType}`;
  return `json: cannot unmarshal ${jsonValue} into Go struct field ${at.struct}.${at.fields.join('.')} of type ${goType}`;
}

interface Location {
  node: SchemaNode;
  /** The JSON field names from the root (list indexes and map keys left out, as Go does). */
  fields: string[];
  /** The struct holding the last field. */
  struct: string;
  /** The error is inside a strslice: Go reports the whole value as a string. */
  strslice: boolean;
}

function locate(root: SchemaNode, pointer: string): Location {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = root;
  let struct = structOf(root) ?? '';
  const fields: string[] = [];
  for (const segment of segments) {
    if (deref(node)['x-go-strslice']) return { node, fields, struct, strslice: true };
    const step = child(node, segment);
    if (!step) break;
    if (step.field) {
      struct = structOf(node) ?? struct;
      fields.push(segment);
    }
    node = step.node;
  }
  return { node, fields, struct, strslice: false };
}

function deref(node: SchemaNode): SchemaNode {
  const name = node.$ref?.replace('docker#/definitions/', '');
  const target = name === undefined ? undefined : engineApi.definitions[name];
  return target ? deref(target) : node;
}

/** The struct a node's fields belong to: the outermost name, as an embedded struct's fields are the embedder's. */
function structOf(node: SchemaNode): string | undefined {
  return node['x-go-struct'] ?? (node.$ref ? structOf(deref(node)) : undefined);
}

function goTypeOf(node: SchemaNode): string {
  const inner = node.$ref ? deref(node) : node.allOf?.[0];
  return node['x-go'] ?? (inner ? goTypeOf(inner) : 'interface {}');
}

function child(node: SchemaNode, segment: string): { node: SchemaNode; field: boolean } | undefined {
  const target = deref(node);
  const property = target.properties?.[segment];
  if (property) return { node: property, field: true };
  for (const part of target.allOf ?? []) {
    const found = child(part, segment);
    if (found) return found;
  }
  if (target.items && /^[0-9]+$/.test(segment)) return { node: target.items, field: false };
  if (target.additionalProperties) return { node: target.additionalProperties, field: false };
  return undefined;
}

const INTEGER_TYPES = /^(u?int(8|16|32|64)?|time\.Duration|os\.FileMode)$/;

/**
 * How Go names the refused JSON value: its kind, with the literal for a number
 * that does not fit an integer (Go quotes the request's text; JS and Go
 * encoders both write 1e+30, as String() does).
 */
function describeValue(value: unknown, goType: string): string {
  if (typeof value === 'number') return INTEGER_TYPES.test(goType) ? `number ${String(value)}` : 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object' && value !== null) return 'object';
  return typeof value;
}

/** Refuses JSON text nested deeper than MAX_JSON_DEPTH, without parsing it (JSON.parse and the code after it recurse). */
export function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new InvalidArgumentError(`invalid character '${text[i]}' exceeded max depth`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
