// The request schemas generated from the Engine API spec, compiled by Fastify
// as the daemon compiles them: every served body and query compiles at
// ready(), a broken schema fails ready(), and what they refuse reads as Go's
// encoding/json says it.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { engineApi } from '../../src/daemon/schemas/engine-api';
import { BODY_ROUTES, ajvOptions, attachSchemas, checkJsonDepth, sharedSchemas } from '../../src/daemon/schemas/validation';
import { errorHandler } from '../../src/daemon/http-errors';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app with the daemon's schema setup and an echoing route for each "METHOD /path". */
function appWith(routes: string[]): FastifyInstance {
  const a = Fastify({ ajv: ajvOptions });
  for (const schema of sharedSchemas) a.addSchema(schema);
  a.addHook('onRoute', attachSchemas);
  a.setErrorHandler(errorHandler);
  for (const route of routes) {
    const [method, url] = route.split(' ') as [string, string];
    a.route({ method: method as 'GET', url, handler: async (req) => ({ body: req.body ?? null, query: req.query }) });
  }
  return a;
}

describe('request schemas', () => {
  it('compile at ready() for every served body and integer query', async () => {
    app = appWith([...Object.keys(BODY_ROUTES), ...Object.keys(engineApi.queries).filter((k) => !k.includes('/build'))]);
    await expect(app.ready()).resolves.toBeDefined();
  });

  it('make ready() fail when a schema is broken', async () => {
    app = appWith([]);
    app.post('/broken', { schema: { body: { $ref: 'docker#/definitions/NoSuchThing' } } }, async () => 'x');
    await expect(app.ready()).rejects.toThrow(/NoSuchThing|can't resolve reference/);
  });

  it('refuse a wrong JSON type with Go\'s message, 400', async () => {
    app = appWith(['POST /containers/create', 'POST /containers/:id/update', 'POST /containers/:id/stop']);
    const post = (url: string, body: unknown) =>
      body === undefined ? app!.inject({ method: 'POST', url }) : app!.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const cases: [string, unknown, string][] = [
      ['/containers/create', { HostConfig: { Memory: '1g' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
      ['/containers/create', { Labels: { a: 5 } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string'],
      ['/containers/create', { HostConfig: { CpuShares: 1e30 } }, 'json: cannot unmarshal number 1e+30 into Go struct field HostConfig.HostConfig.CpuShares of type int64'],
      ['/containers/create', { Cmd: { a: 1 } }, 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Cmd of type string'],
      ['/containers/create', { HostConfig: [] }, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig'],
      ['/containers/create', { HostConfig: { PortBindings: 5 } }, 'json: cannot unmarshal number into Go struct field HostConfig.HostConfig.PortBindings of type nat.PortMap'],
      ['/containers/create', { HostConfig: { Ulimits: [{ Name: 5 }] } }, 'json: cannot unmarshal number into Go struct field Ulimit.HostConfig.Ulimits.Name of type string'],
      ['/containers/create', { hostconfig: { memory: 'x' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
      ['/containers/create', [], 'json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper'],
      ['/containers/x/update', { BlkioWeight: 70000 }, 'json: cannot unmarshal number 70000 into Go struct field UpdateConfig.BlkioWeight of type uint16'],
      ['/containers/x/stop?t=abc', undefined, 'strconv.Atoi: parsing "abc": invalid syntax'],
    ];
    for (const [url, body, message] of cases) {
      const r = await post(url, body);
      expect({ url, body, status: r.statusCode, message: r.json().message }).toEqual({ url, body, status: 400, message });
    }
  });

  it('accept what Go accepts, and store nulls as Go decodes them', async () => {
    app = appWith(['POST /containers/create']);
    const r = await app.inject({
      method: 'POST',
      url: '/containers/create',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        Image: 'x', Unknown: { deep: [1] }, Cmd: 'sh', Env: ['A=1', null], Labels: { a: null }, HostConfig: { Memory: null, Binds: null, PidsLimit: null }, Entrypoint: null, Tty: null,
      }),
    });
    expect(r.statusCode).toBe(200);
    // Scalars take their zero value; pointers, lists, maps and structs stay null (Go's nil), as dockerd's inspect shows them.
    expect(r.json().body).toEqual({
      Image: 'x', Unknown: { deep: [1] }, Cmd: ['sh'], Env: ['A=1', ''], Labels: { a: '' }, HostConfig: { Memory: 0, Binds: null, PidsLimit: null }, Entrypoint: null, Tty: false,
    });
  });

  it('bound the nesting depth before parsing, as Go does', () => {
    expect(() => checkJsonDepth(`${'['.repeat(10_001)}${']'.repeat(10_001)}`)).toThrow("invalid character '[' exceeded max depth");
    expect(() => checkJsonDepth(`{"a":"${'['.repeat(20_000)}"}`)).not.toThrow();
    expect(() => checkJsonDepth(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).not.toThrow();
  });
});
