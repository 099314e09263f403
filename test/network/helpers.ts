// Shared by the network tests: a busybox daemon whose containers' DNS
// forwarding goes to a dead loopback address (no query ever leaves this
// machine), inspect helpers, and what a test checks is left on the host.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startBusyboxDaemon, type StartOptions, type TestDaemon } from '../helpers/daemon';

export async function startNetDaemon(daemonJson: object = {}, opts: StartOptions = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-net-'));
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ dns: ['127.0.0.1'], ...daemonJson }));
  return startBusyboxDaemon({ ...opts, dir });
}

export function json<T>(d: TestDaemon, args: string[]): T {
  const r = d.docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface NetInspect {
  Id: string;
  Name: string;
  Driver: string;
  IPAM: { Config: Array<{ Subnet: string; Gateway: string }> };
  Containers: Record<string, { Name: string; EndpointID: string; IPv4Address: string }>;
  Options: Record<string, string>;
}

export interface EndpointView {
  NetworkID: string;
  EndpointID: string;
  IPAddress: string;
  Gateway: string;
  IPPrefixLen: number;
  MacAddress: string;
}

export const network = (d: TestDaemon, name: string): NetInspect => json<NetInspect[]>(d, ['network', 'inspect', name])[0]!;
export const endpoints = (d: TestDaemon, c: string): Record<string, EndpointView> => json<Record<string, EndpointView>>(d, ['inspect', '-f', '{{json .NetworkSettings.Networks}}', c]);

export function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

/** The nft table's text ('' when there is none). */
export function nftTable(table: string): string {
  const r = spawnSync('nft', ['list', 'table', 'inet', table], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}

/** Rows of the daemon's lease table (read-only, the daemon may run). */
export function leases(d: TestDaemon): Array<{ network_id: string; address: string; endpoint_id: string }> {
  const db = new Database(join(d.dataRoot, 'tsdocker.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT network_id, address, endpoint_id FROM ip_leases').all() as Array<{ network_id: string; address: string; endpoint_id: string }>;
  } finally {
    db.close();
  }
}

/**
 * An HTTP server on the host at host:port answering `body`: busybox httpd in a
 * process of its own (the test's own event loop is blocked in spawnSync while
 * a container asks).
 */
export async function hostServer(host: string, port: number, body: string): Promise<{ close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-httpd-'));
  writeFileSync(join(dir, 'index.html'), body);
  const child = spawn('busybox', ['httpd', '-f', '-p', `${host}:${port}`, '-h', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return {
    close: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A container command that GETs / from ip:port and prints the answer (headers and body). */
export const ncGet = (ip: string, port: number): string[] => ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`];

export const HTTPD = ['sh', '-c', 'echo hello-from-$(hostname) > /tmp/index.html && exec httpd -f -p 80 -h /tmp'];

export function ipIn(subnet: string, ip: string): boolean {
  const [base = '', bits = '32'] = subnet.split('/');
  const n = (a: string) => a.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

export function hostHasAddress(ip: string): boolean {
  return execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' }).includes(` ${ip}/`);
}
