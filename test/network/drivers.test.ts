// The conformance suite (driver-suite.ts) against the bridge and the macvlan
// drivers. macvlan's parent: a veth pair of the test's own on the host (this
// kernel has no dummy driver), both ends up so the parent has carrier.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { BridgeDriver } from '../../src/network/bridge';
import { MacvlanDriver } from '../../src/network/macvlan';
import { driverSuite } from './driver-suite';

const log = pino({ level: 'silent' });
const octet = () => 100 + Math.floor(Math.random() * 100);

driverSuite('bridge', () => {
  const tag = randomBytes(3).toString('hex');
  const id = `${tag}`.padEnd(64, 'b');
  const x = octet();
  return {
    driver: new BridgeDriver(log),
    network: (internal) => ({ id, name: 'suite', options: {}, pools: [{ subnet: `10.${x}.77.0/24`, gateway: `10.${x}.77.1` }], internal, enableIPv6: false, ifname: `tsdst${tag}` }),
    cleanup: () => void spawnSync('ip', ['link', 'del', `tsdst${tag}`]),
  };
});

driverSuite('macvlan', () => {
  const tag = randomBytes(3).toString('hex');
  const parent = `tsdmv${tag}`;
  execFileSync('ip', ['link', 'add', parent, 'type', 'veth', 'peer', 'name', `tsdmp${tag}`]);
  execFileSync('ip', ['link', 'set', parent, 'up']);
  execFileSync('ip', ['link', 'set', `tsdmp${tag}`, 'up']);
  const x = octet();
  return {
    driver: new MacvlanDriver(log),
    network: (internal) => ({ id: tag.padEnd(64, 'c'), name: 'suite', options: { parent }, pools: [{ subnet: `10.${x}.78.0/24`, gateway: `10.${x}.78.1` }], internal, enableIPv6: false, ifname: parent }),
    cleanup: () => void spawnSync('ip', ['link', 'del', parent]),
  };
});
