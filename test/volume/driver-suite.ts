// The conformance suite every VolumeDriver runs (src/volume/types.ts tells
// the contract): create, get, path, list, mount and unmount counted per
// container (idempotent), remove. Run against `local` and a volume plugin
// (drivers.test.ts).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VolumeDriver } from '../../src/volume/types';

export interface SuiteHarness {
  driver: VolumeDriver;
  close(): Promise<void>;
}

/** `open()`: the driver under test, with its own state. */
export function volumeDriverSuite(name: string, open: () => Promise<SuiteHarness>): void {
  describe(`VolumeDriver conformance: ${name}`, () => {
    let h: SuiteHarness;
    let driver: VolumeDriver;
    const vol = `suite-${process.pid}`;

    beforeAll(async () => {
      h = await open();
      driver = h.driver;
    });

    afterAll(async () => {
      await driver.remove(vol, { force: true }).catch(() => undefined);
      await h.close();
    });

    it('creates a volume that get, path and list then know; a second create of the name is no error', async () => {
      const info = await driver.create(vol, {}, { a: 'b' });
      expect(info.name).toBe(vol);
      expect(info.driver).toBe(driver.name);
      await driver.create(vol, {}, {});
      expect((await driver.get(vol)).name).toBe(vol);
      const path = await driver.path(vol);
      expect(statSync(path).isDirectory()).toBe(true);
      expect((await driver.list()).map((v) => v.name)).toContain(vol);
    });

    it('mounts for several containers at one path, each unmount counted and idempotent', async () => {
      const p1 = await driver.mount(vol, 'c1');
      writeFileSync(join(p1, 'f'), 'shared');
      const p2 = await driver.mount(vol, 'c2');
      expect(readFileSync(join(p2, 'f'), 'utf8')).toBe('shared');
      await driver.unmount(vol, 'c1');
      await driver.unmount(vol, 'c1');
      expect(readFileSync(join(await driver.mount(vol, 'c3'), 'f'), 'utf8')).toBe('shared');
      await driver.unmount(vol, 'c3');
      await driver.unmount(vol, 'c2');
      await driver.unmount(vol, 'never-mounted');
    });

    it('removes a volume: its files are gone and get refuses it', async () => {
      const path = await driver.path(vol);
      await driver.remove(vol);
      expect(existsSync(path)).toBe(false);
      await expect(driver.get(vol)).rejects.toThrow(/no such volume/);
      await expect(driver.get(`${vol}-never`)).rejects.toThrow(/no such volume/);
    });
  });
}
