// Authentication for the test registries: an htpasswd file (bcrypt, the only
// scheme distribution's htpasswd takes) and a token server (the Bearer flow
// the registry's `auth.token` config names), run in the test's process on
// 127.0.0.1, with a policy for anonymous and wrong credentials.
import { execFileSync } from 'node:child_process';
import { createSign } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

/** `user:bcrypt(password)` written to a file in `dir`; its path. */
export function htpasswdFile(dir: string, user: string, password: string): string {
  // libxcrypt's crypt(3) through Python.
  const hash = execFileSync('python3', ['-W', 'ignore', '-c', `import crypt,sys; print(crypt.crypt(sys.argv[1], '$2b$05$abcdefghijklmnopqrstuv'))`, password], { encoding: 'utf8' }).trim();
  const file = join(dir, 'htpasswd');
  writeFileSync(file, `${user}:${hash}\n`);
  return file;
}

/** The registry config lines for htpasswd Basic auth. */
export function htpasswdConfig(file: string): string {
  return ['auth:', '  htpasswd:', '    realm: test', `    path: ${file}`].join('\n');
}

export interface TokenServer {
  /** The registry config lines naming this server. */
  config: string;
  /** Every scope asked for. */
  scopes: string[];
  close(): Promise<void>;
}

/**
 * A token server: `users` get what they ask for; anonymous callers get
 * `anonymous`: 'grant' (what they ask for), 'empty' (a token with no access:
 * the registry then answers 401 insufficient_scope) or 'deny' (a 401 from the
 * token server itself).
 */
export async function startTokenServer(opts: { users?: Record<string, string>; anonymous: 'grant' | 'empty' | 'deny' }): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-token-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=token-issuer'], { stdio: 'ignore' });
  const der = execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER']).toString('base64');
  const scopes: string[] = [];
  const port = await freePort();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const asked = url.searchParams.getAll('scope');
    scopes.push(...asked);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user = '', password = ''] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
    const known = basic !== undefined && opts.users?.[user] === password;
    if ((basic !== undefined && !known) || (basic === undefined && opts.anonymous === 'deny')) {
      res.statusCode = 401;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const granted = known || opts.anonymous === 'grant';
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'RS256', typ: 'JWT', x5c: [der] });
    const access = granted
      ? asked.map((scope) => {
          const [, name = '', actions = ''] = scope.split(':');
          return { type: 'repository', name, actions: actions.split(',') };
        })
      : [];
    const claims = b64({ iss: 'test-issuer', sub: known ? user : 'anonymous', aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: String(Math.random()), access });
    const signature = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(readFileSync(key)).toString('base64url');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token: `${head}.${claims}.${signature}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    config: ['auth:', '  token:', `    realm: http://127.0.0.1:${port}/token`, '    service: test-registry', '    issuer: test-issuer', `    rootcertbundle: ${cert}`].join('\n'),
    scopes,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
