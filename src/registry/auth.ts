// The registry's 401 challenge (WWW-Authenticate: Bearer realm=…,service=…,
// scope=… or Basic realm=…) and the token endpoint's answer.
import { UnauthorizedError } from '../errors';

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** The first challenge of a WWW-Authenticate header, or undefined when there is none we speak. */
export function challengeOf(header: string | string[] | undefined): Challenge | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? /^\s*(\w+)\s*(.*)$/.exec(value) : null;
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

/** Tokens without `expires_in` last 60 s (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;

/** A token endpoint's JSON answer: `token` or `access_token`, and when it expires (ms). */
export function tokenFrom(body: string): { token: string; expires: number } {
  let v: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    v = JSON.parse(body) as typeof v;
  } catch {
    throw new UnauthorizedError('failed to authorize: the token server sent no JSON');
  }
  const token = typeof v.token === 'string' && v.token !== '' ? v.token : typeof v.access_token === 'string' ? v.access_token : '';
  if (token === '') throw new UnauthorizedError('failed to authorize: the token server sent no token');
  const seconds = typeof v.expires_in === 'number' && v.expires_in > 0 ? v.expires_in : DEFAULT_TOKEN_SECONDS;
  return { token, expires: Date.now() + (seconds - 5) * 1000 };
}
