// A network lab on this machine for firewall tests: test bridges with
// "containers" (network namespaces on a veth into the bridge) and "remote
// hosts" (namespaces wired to the host by a veth of their own). Every name
// carries a random tag (parallel test files, other daemons); cleanup() removes
// every namespace, link and process the lab made. Traffic stays on these links.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A free 10.x.y.0/24 (none of the host's routes overlaps it). */
function freeSubnet(taken: Set<string>): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (;;) {
    const a = 100 + Math.floor(Math.random() * 150);
    const b = Math.floor(Math.random() * 256);
    const prefix = `10.${a}.${b}.`;
    if (!routes.includes(`10.${a}.`) && !taken.has(prefix)) {
      taken.add(prefix);
      return prefix;
    }
  }
}

export interface LabBridge { name: string; prefix: string; gateway: string; subnet: string; prefix6?: string }
export interface LabNs { ns: string; hostIf: string; address: string; address6?: string }

// A TCP and UDP server that answers each connection or datagram with the
// client's address as it sees it (the source the firewall left).
const ECHO = `
const net = require('net'), dgram = require('dgram');
const port = Number(process.argv[1]);
net.createServer((s) => s.end(s.remoteAddress.replace(/^::ffff:/, '') + '\\n')).listen(port, '::', () => {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(r.address + '\\n', r.port, r.address));
  u.bind(port, '0.0.0.0', () => console.log('ready'));
});`;

// A client: connects (TCP) or sends (UDP) to host:port, prints the answer or "ERR <code>".
const CLIENT = `
const [proto, host, port, from] = process.argv.slice(1);
const done = (s) => { console.log(s.trim()); process.exit(0); };
setTimeout(() => done('ERR timeout'), 2000);
if (proto === 'udp') {
  const u = require('dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', (m) => done(m.toString()));
  const send = () => u.send('x', Number(port), host);
  if (from) u.bind(Number(from), send); else send();
} else {
  const s = require('net').connect(Number(port), host);
  let out = '';
  s.on('data', (d) => (out += d)).on('end', () => done(out)).on('error', (e) => done('ERR ' + e.code));
}`;

export class NetLab {
  readonly tag = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];
  private readonly links: string[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly prefixes = new Set<string>();
  private n = 0;

  /** A bridge with .1/24 on it (and fdXX:…::1/64 with `ipv6`). */
  bridge(ipv6 = false): LabBridge {
    const name = `tfb${this.tag}${this.n++}`;
    const prefix = freeSubnet(this.prefixes);
    ip('link', 'add', name, 'type', 'bridge');
    this.links.push(name);
    ip('addr', 'add', `${prefix}1/24`, 'dev', name);
    const group = () => (0x1000 + randomBytes(2).readUInt16BE() % 0xf000).toString(16); // 4 digits, none leading 0
    const prefix6 = ipv6 ? `fd${randomBytes(1).toString('hex')}:${group()}:${group()}::` : undefined;
    if (prefix6) ip('addr', 'add', `${prefix6}1/64`, 'dev', name, 'nodad');
    ip('link', 'set', name, 'up');
    return { name, prefix, gateway: `${prefix}1`, subnet: `${prefix}0/24`, ...(prefix6 ? { prefix6 } : {}) };
  }

  /** A "container": a namespace whose eth0 (address prefix+host) sits on the bridge, default route via its gateway. */
  container(br: LabBridge, host: number): LabNs {
    const id = `${this.tag}${this.n++}`;
    const ns = `tfc${id}`, hostIf = `tfv${id}`;
    ip('netns', 'add', ns);
    this.namespaces.push(ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    this.links.push(hostIf);
    ip('link', 'set', hostIf, 'master', br.name, 'up');
    const address = `${br.prefix}${host}`;
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', br.gateway);
    if (br.prefix6 === undefined) return { ns, hostIf, address };
    ip('-n', ns, 'addr', 'add', `${br.prefix6}${host}/64`, 'dev', 'eth0', 'nodad');
    ip('-n', ns, '-6', 'route', 'add', 'default', 'via', `${br.prefix6}1`);
    return { ns, hostIf, address, address6: `${br.prefix6}${host}` };
  }

  /** A "remote host": a namespace on a point-to-point veth; the host end has prefix.1, the remote prefix.2. */
  remote(): LabNs & { hostAddress: string } {
    const id = `${this.tag}${this.n++}`;
    const ns = `tfr${id}`, hostIf = `tfw${id}`;
    const prefix = freeSubnet(this.prefixes);
    ip('netns', 'add', ns);
    this.namespaces.push(ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    this.links.push(hostIf);
    ip('addr', 'add', `${prefix}1/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', ns, 'addr', 'add', `${prefix}2/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', `${prefix}1`);
    return { ns, hostIf, address: `${prefix}2`, hostAddress: `${prefix}1` };
  }

  /** Starts the echo server (TCP+UDP on port) inside ns; resolves once it listens. */
  async echoServer(ns: string, port: number): Promise<void> {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', ECHO, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.procs.push(p);
    await new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      p.on('exit', (code) => reject(new Error(`echo server in ${ns} exited ${code}`)));
    });
  }

  /** What the echo server answers to a client in ns ('' = the host's namespace): the source it saw, or "ERR …". */
  ask(ns: string, proto: 'tcp' | 'udp', host: string, port: number, fromPort?: number): string {
    const cmd = [process.execPath, '-e', CLIENT, proto, host, String(port), ...(fromPort ? [String(fromPort)] : [])];
    const argv = ns === '' ? cmd : ['ip', 'netns', 'exec', ns, ...cmd];
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 }).trim();
  }

  cleanup(): void {
    for (const p of this.procs) if (p.pid !== undefined && p.exitCode === null) p.kill('SIGKILL');
    for (const l of this.links.reverse()) {
      try {
        ip('link', 'del', l);
      } catch {
        // gone with its namespace
      }
    }
    for (const ns of this.namespaces) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  }
}
