import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { buildZip } from '../../../test/harness/zip.js';
import {
  checkZipLimits,
  InflateBudget,
  openZipEntry,
  readZipDirectory,
  ZipLimitError,
} from './zip-limits.js';

const LIMITS = { maxUncompressedBytes: 10 * 1024 * 1024, maxRatio: 100 };

describe('#15.1 zip limits: the central directory and metered inflation', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'zip-limits-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(bytes: Buffer): string {
    const name = path.join(dir, `${Math.random().toString(36).slice(2)}.zip`);
    writeFileSync(name, bytes);
    return name;
  }

  it.each([false, true])('reads entries and inflates them (zip64: %s)', async (zip64) => {
    const parts = [
      { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
      { name: 'stored.txt', data: Buffer.from('as is'), store: true },
    ];
    const archive = file(buildZip(parts, { zip64 }));
    const entries = await readZipDirectory(archive);
    expect(entries.map((e) => [e.name, e.uncompressedSize, e.method])).toEqual([
      ['xl/workbook.xml', 11, 8],
      ['stored.txt', 5, 0],
    ]);
    checkZipLimits(entries, LIMITS);
    const budget = new InflateBudget(LIMITS.maxUncompressedBytes);
    expect(await text(await openZipEntry(archive, entries[0]!, budget))).toBe('<workbook/>');
    expect(await text(await openZipEntry(archive, entries[1]!, budget))).toBe('as is');
  });

  it('refuses a part compressed past the ratio and an archive past the total, from declared sizes', async () => {
    const bomb = await readZipDirectory(
      file(buildZip([{ name: 'a.xml', data: Buffer.alloc(4 * 1024 * 1024, 32) }])),
    );
    expect(() => checkZipLimits(bomb, LIMITS)).toThrow(ZipLimitError);
    const big = await readZipDirectory(
      file(
        buildZip(
          [
            {
              name: 'b.bin',
              data: Buffer.alloc(1000, 1),
              store: true,
              declaredSize: 11 * 1024 * 1024,
            },
          ],
          { zip64: true },
        ),
      ),
    );
    expect(() => checkZipLimits(big, { ...LIMITS, maxRatio: 1_000_000 })).toThrow(
      /unpacks to more than 10 MB/,
    );
  });

  it('stops inflating a part that holds more than it declares, and past the budget', async () => {
    const archive = file(
      buildZip([{ name: 'a.xml', data: Buffer.alloc(3 * 1024 * 1024, 32), declaredSize: 500 }]),
    );
    const [entry] = await readZipDirectory(archive);
    checkZipLimits([entry!], LIMITS);
    await expect(
      text(await openZipEntry(archive, entry!, new InflateBudget(LIMITS.maxUncompressedBytes))),
    ).rejects.toThrow(/larger than the archive declares/);
    const honest = file(buildZip([{ name: 'b.xml', data: Buffer.alloc(2 * 1024 * 1024, 32) }]));
    const [whole] = await readZipDirectory(honest);
    await expect(
      text(await openZipEntry(honest, whole!, new InflateBudget(1024 * 1024))),
    ).rejects.toThrow(/unpacks to more than 1 MB/);
  });
});
