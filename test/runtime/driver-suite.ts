// The conformance suite every RuntimeDriver runs (src/runtime/driver.ts tells
// the contract): a busybox bundle with a Docker-like config.json driven
// through create, start, state, exec, kill and delete. Needs root and busybox.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors';
import type { RuntimeDriver } from '../../src/runtime/driver';
import { dockerConfig, makeRootfs, removeCgroupParent, writeConfig } from '../native/bundle';
import { alive, waitFor } from '../native/procs';

/** `open(root)`: the driver under test, keeping its state in `root`. */
export function runtimeDriverSuite(name: string, open: (root: string) => RuntimeDriver): void {
  describe(`RuntimeDriver conformance: ${name}`, () => {
    let dir: string;
    let bundle: string;
    let rootfs: string;
    let driver: RuntimeDriver;
    let seq = 0;
    const cgParent = `/tsdconf-${name}-${process.pid}`;
    const made: string[] = [];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `tsd-conf-${name}-`));
      bundle = join(dir, 'bundle');
      rootfs = makeRootfs(bundle);
      driver = open(join(dir, 'root'));
    });

    afterAll(async () => {
      for (const id of made) await driver.delete(id, { force: true }).catch(() => undefined);
      removeCgroupParent(cgParent);
      rmSync(dir, { recursive: true, force: true });
    });

    /** A created container running `args` (its init waits for start). */
    async function created(args: string[]): Promise<{ id: string; pid: number }> {
      const id = `conf${process.pid}-${name}-${++seq}`;
      writeConfig(bundle, dockerConfig(id, cgParent, { args }));
      made.push(id);
      await driver.create(id, bundle);
      const st = await driver.state(id);
      expect(st).toMatchObject({ id, status: 'created' });
      expect(alive(st.pid)).toBe(true);
      return { id, pid: st.pid };
    }

    const status = async (id: string): Promise<string> => (await driver.state(id)).status;

    it('goes through create, start, kill and delete, and forgets the container', async () => {
      const { id, pid } = await created(['sleep', '1000']);
      expect(await driver.list()).toContain(id);
      await driver.start(id);
      expect(await driver.state(id)).toMatchObject({ status: 'running', pid });
      await expect(driver.delete(id)).rejects.toThrow();
      await driver.kill(id, 'KILL');
      await waitFor(() => !alive(pid));
      for (let i = 0; (await status(id)) !== 'stopped' && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await status(id)).toBe('stopped');
      await driver.delete(id);
      expect(await driver.list()).not.toContain(id);
      await expect(driver.state(id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('runs an exec in the running container, detached', async () => {
      const { id } = await created(['sleep', '1000']);
      await driver.start(id);
      const marker = `exec-${name}-${seq}`;
      const processFile = join(dir, `${marker}.json`);
      const config = dockerConfig(id, cgParent, { args: ['sh', '-c', `echo ran > /tmp/${marker}`] }) as { process: unknown };
      writeFileSync(processFile, JSON.stringify(config.process));
      await driver.exec(id, processFile, { detach: true });
      await waitFor(() => existsSync(join(rootfs, 'tmp', marker)));
      await driver.delete(id, { force: true });
    });

    it('delete --force ends a running container and every process in it', async () => {
      const { id, pid } = await created(['sh', '-c', 'sleep 1000 & sleep 1000']);
      await driver.start(id);
      await driver.delete(id, { force: true });
      expect(alive(pid)).toBe(false);
      expect(await driver.list()).not.toContain(id);
    });

    it('kills every process with `all`, and refuses a second container of the same id', async () => {
      const { id, pid } = await created(['sleep', '1000']);
      await expect(driver.create(id, bundle)).rejects.toThrow();
      await driver.start(id);
      await driver.kill(id, 9, { all: true });
      await waitFor(() => !alive(pid));
      await driver.delete(id, { force: true });
    });

    it('says NotFound for an id its root does not hold', async () => {
      await expect(driver.state(`conf-none-${process.pid}`)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
