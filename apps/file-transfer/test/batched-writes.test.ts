import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedFileWriter, WRITE_BATCH_BYTES } from '../src/batched-writes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('BatchedFileWriter', () => {
  it('writes every chunk in order from its position, holding at most a batch until flushed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-batched-'));
    dirs.push(dir);
    const path = join(dir, 'file');
    const handle = await open(path, 'w+');
    const prefix = Buffer.from('held before: ');
    await handle.write(prefix, 0, prefix.length, 0);
    const chunks = Array.from({ length: 40 }, (_, index) => randomBytes(1 + ((index * 7919) % 65_536)));
    const writer = new BatchedFileWriter(handle, prefix.length);
    for (const chunk of chunks) {
      await writer.write(chunk.subarray(0));
      expect(writer.held).toBeLessThan(WRITE_BATCH_BYTES);
      expect(writer.position + writer.held).toBeGreaterThan(prefix.length);
    }
    await writer.flush();
    expect(writer.held).toBe(0);
    await handle.close();
    const expected = Buffer.concat([prefix, ...chunks]);
    expect(writer.position).toBe(expected.length);
    expect(readFileSync(path).equals(expected)).toBe(true);
  });
});
