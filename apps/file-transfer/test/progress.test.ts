import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createProgress,
  formatBytes,
  formatRate,
  formatSummary,
  type ProgressStream,
  progressEnabled,
} from '../src/progress.js';

/** A stream that says it is (or is not) a terminal and keeps what was written. */
function fakeStream(isTTY: boolean): { stream: ProgressStream; written: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  const parts: string[] = [];
  stream.on('data', (chunk: Buffer) => parts.push(chunk.toString('utf8')));
  return { stream, written: () => parts.join('') };
}

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [104_857_600, '100.0 MiB'],
    [5 * 2 ** 30, '5.0 GiB'],
    [3 * 2 ** 40, '3.0 TiB'],
    [2 ** 52, '4096.0 TiB'],
  ])('formatBytes(%d) is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('formats rates per second, surviving a zero duration', () => {
    expect(formatRate(104_857_600, 1.23)).toBe('81.3 MiB/s');
    expect(formatRate(0, 0)).toBe('0 B/s');
    expect(formatRate(999, 2)).toBe('500 B/s');
    expect(formatRate(1024, 0)).toBe('976.6 MiB/s');
  });

  it('writes the summary line a script reads', () => {
    expect(
      formatSummary({ verb: 'put', name: 'a.bin', size: 104_857_600, sent: 104_857_600, seconds: 1.23, resumedAt: 0 }),
    ).toBe('put a.bin: 104857600 bytes (104857600 sent) in 1.23 s (81.3 MiB/s), sha256 ok, resumed at 0');
    expect(
      formatSummary({ verb: 'get', name: 'out/b.bin', size: 3000, sent: 1000, seconds: 0.5, resumedAt: 2000 }),
    ).toBe('get out/b.bin: 3000 bytes (1000 sent) in 0.50 s (2.0 KiB/s), sha256 ok, resumed at 2000');
  });
});

describe('createProgress', () => {
  it('draws nothing on a pipe or a file', () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ label: 'put a', total: 1000, start: 0, stream, env: {} });
    progress.update(500);
    progress.update(1000);
    progress.stop();
    expect(written()).toBe('');
    expect(progressEnabled(stream, {})).toBe(false);
  });

  it('draws nothing on a dumb terminal', () => {
    const { stream, written } = fakeStream(true);
    const progress = createProgress({ label: 'put a', total: 1000, start: 0, stream, env: { TERM: 'dumb' } });
    progress.update(1000);
    progress.stop();
    expect(written()).toBe('');
  });

  it('draws a bar from the resume point on a terminal, with this run’s rate, and clears it when stopped', () => {
    const { stream, written } = fakeStream(true);
    let clock = 0;
    const progress = createProgress({
      label: 'put a.bin',
      total: 4096,
      start: 1024,
      stream,
      env: {},
      now: () => clock,
    });
    expect(written()).toContain('put a.bin [');
    expect(written()).toContain('25% | 1.0 KiB of 4.0 KiB');
    clock = 1000;
    progress.update(4096);
    progress.stop();
    progress.stop();
    expect(written()).toContain('100% | 4.0 KiB of 4.0 KiB | 3.0 KiB/s');
  });

  it('shows a zero-byte file as done rather than dividing by zero', () => {
    const { stream, written } = fakeStream(true);
    const progress = createProgress({ label: 'get empty', total: 0, start: 0, stream, env: {} });
    progress.stop();
    expect(written()).toContain('100%');
    expect(written()).not.toContain('NaN');
  });
});
