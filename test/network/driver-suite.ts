// The NetworkDriver conformance suite (src/network/types.ts): run against
// every driver (bridge, macvlan) with real network namespaces standing for
// containers. What every driver must do: createNetwork idempotent; attach puts
// the interface in the namespace with its address, MAC and default route (none
// on an internal network); endpoints of one network reach each other; detach
// removes the interface, is idempotent and works from the endpoint ID alone;
// restore detaches the endpoints of containers that no longer run.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSpec, NetworkDriver, NetworkSpec } from '../../src/network/types';

export interface DriverFixture {
  driver: NetworkDriver;
  /** The network the suite uses (subnet 10.<x>.<y>.0/24, gateway .1); `internal` toggles the flag. */
  network(internal: boolean): NetworkSpec;
  /** Called after the suite (removes what the fixture made on the host). */
  cleanup(): void;
}

/** Waits (up to 5 s) for a condition a driver may reach after its call returns (a veth's deletion). */
export async function eventually(check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
const inNs = (ns: string, ...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });

export function driverSuite(name: string, make: () => DriverFixture): void {
  describe(`NetworkDriver conformance: ${name}`, () => {
    const tag = randomBytes(3).toString('hex');
    const namespaces = [0, 1, 2].map((i) => `tsdsuite${tag}${i}`);
    let fx: DriverFixture;
    let net: NetworkSpec;
    const ep = (i: number, extra: Partial<EndpointSpec> = {}): EndpointSpec => {
      const base = net.pools[0]!.subnet.split('/')[0]!.split('.').slice(0, 3).join('.');
      return {
        endpointId: `${tag}${i}`.padEnd(64, '0'),
        containerId: `c${i}`,
        netns: `/run/netns/${namespaces[i]}`,
        addresses: [`${base}.${10 + i}/24`],
        macAddress: `02:42:0a:00:00:${(10 + i).toString(16).padStart(2, '0')}`,
        dnsNames: [],
        ports: [],
        ...extra,
      };
    };

    beforeAll(async () => {
      for (const ns of namespaces) sh('ip', 'netns', 'add', ns);
      fx = make();
      net = fx.network(false);
      await fx.driver.createNetwork(net);
      await fx.driver.createNetwork(net);
    });
    afterAll(async () => {
      await fx.driver.deleteNetwork(net.id, net).catch(() => undefined);
      for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
      fx.cleanup();
    });

    it('attaches an endpoint with its address, MAC and default route', async () => {
      const info = await fx.driver.attach(net, ep(0));
      expect(info).toMatchObject({ endpointId: ep(0).endpointId, ifname: 'eth0', gateway: net.pools[0]!.gateway });
      const addr = inNs(namespaces[0]!, 'ip', '-o', 'addr', 'show', 'eth0').stdout;
      expect(addr).toContain(`inet ${ep(0).addresses[0]}`);
      expect(inNs(namespaces[0]!, 'ip', 'link', 'show', 'eth0').stdout).toContain(ep(0).macAddress);
      expect(inNs(namespaces[0]!, 'ip', 'route').stdout).toContain(`default via ${net.pools[0]!.gateway} dev eth0`);
    });

    it('connects the endpoints of one network', async () => {
      await fx.driver.attach(net, ep(1));
      const target = ep(0).addresses[0]!.split('/')[0]!;
      const r = inNs(namespaces[1]!, 'busybox', 'ping', '-c', '1', '-W', '2', target);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    });

    it('names the interface as asked and gives no default route on an internal network', async () => {
      const internal = { ...net, internal: true };
      await fx.driver.attach(internal, ep(2, { ifname: 'eth3' }));
      expect(inNs(namespaces[2]!, 'ip', '-o', 'addr', 'show', 'eth3').stdout).toContain('inet ');
      expect(inNs(namespaces[2]!, 'ip', 'route').stdout).not.toContain('default');
      await fx.driver.detach(internal, ep(2).endpointId);
      expect(await eventually(() => inNs(namespaces[2]!, 'ip', 'link', 'show', 'eth3').status !== 0)).toBe(true);
    });

    it('detaches from the endpoint ID alone, twice without harm', async () => {
      await fx.driver.detach(net, ep(1).endpointId);
      await fx.driver.detach(net, ep(1).endpointId);
      expect(await eventually(() => inNs(namespaces[1]!, 'ip', 'link', 'show', 'eth0').status !== 0)).toBe(true);
    });

    it('refuses an endpoint whose interface name is taken, and leaves nothing', async () => {
      await expect(fx.driver.attach(net, ep(1, { endpointId: `${tag}9`.padEnd(64, '0'), netns: `/run/netns/${namespaces[0]}` }))).rejects.toThrow(/exists/);
      expect(inNs(namespaces[0]!, 'ip', '-o', 'link').stdout.match(/eth0/g)?.length).toBe(1);
    });

    it('restore keeps running endpoints and detaches the others', async () => {
      await fx.driver.attach(net, ep(1));
      await fx.driver.restore([net], [
        { networkId: net.id, endpoint: ep(0), running: true },
        { networkId: net.id, endpoint: ep(1), running: false },
      ]);
      expect(inNs(namespaces[0]!, 'ip', 'link', 'show', 'eth0').status).toBe(0);
      if (name === 'bridge') expect(await eventually(() => inNs(namespaces[1]!, 'ip', 'link', 'show', 'eth0').status !== 0)).toBe(true);
      await fx.driver.detach(net, ep(0).endpointId);
      await fx.driver.detach(net, ep(1).endpointId);
    });
  });
}
