import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCtime, InvalidFieldError, parseCtime } from '../src/index.js';
import { caught } from './support.js';

/** time.ctime(t) for each t, from the real Python, in time zone `tz`. */
function pythonCtime(tz: string, seconds: readonly number[]): string[] {
  const result = spawnSync('python3', ['-c', 'import sys, time\nfor line in sys.stdin: print(time.ctime(int(line)))'], {
    input: seconds.join('\n'),
    encoding: 'utf8',
    env: { ...process.env, TZ: tz },
    timeout: 10_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').slice(0, seconds.length);
}

// Edges: the epoch, a single-digit day, New York's DST switches of 2026
// (Mar 8 07:00 UTC, Nov 1 06:00 UTC) and a second either side, year ends.
const EDGES = [
  0, 1_793_696_703, 1_772_949_599, 1_772_949_600, 1_793_509_199, 1_793_509_200, 1_798_761_599, 946_684_800,
];
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];

describe.each(ZONES)('in %s', (tz) => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.TZ;
    process.env.TZ = tz;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it('formatCtime prints exactly what Python time.ctime() prints', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800 }), { minLength: 40, maxLength: 40 }), (random) => {
        const seconds = [...EDGES, ...random];
        const python = pythonCtime(tz, seconds);
        expect(seconds.map((t) => formatCtime(new Date(t * 1000)))).toEqual(python);
      }),
      { numRuns: 3 },
    );
  });

  it('drops fractions of a second, like ctime', () => {
    expect(formatCtime(new Date(999))).toBe(formatCtime(new Date(0)));
  });

  it('parseCtime reads back every formatted time (the earlier instant of a repeated hour)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const text = formatCtime(new Date(ms));
        const parsed = parseCtime(text, 'when');
        expect(formatCtime(parsed)).toBe(text);
        expect(parsed.getTime()).toBeLessThanOrEqual(Math.floor(ms / 1000) * 1000);
        expect(Math.floor(ms / 1000) * 1000 - parsed.getTime()).toBeLessThanOrEqual(60 * 60 * 1000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCtime rejects', () => {
  const bad: [string, string][] = [
    ['a day without its padding space', 'Tue Nov 3 09:05:03 2026'],
    ['a zero-padded day', 'Tue Nov 03 09:05:03 2026'],
    ['the wrong weekday', 'Mon Nov  3 09:05:03 2026'],
    ['Feb 30', 'Mon Feb 30 09:05:03 2026'],
    ['hour 24', 'Tue Nov  3 24:00:00 2026'],
    ['second 60', 'Tue Nov  3 23:59:60 2026'],
    ['a trailing newline', 'Tue Nov  3 09:05:03 2026\n'],
    ['lower case', 'tue nov  3 09:05:03 2026'],
    ['a 3-digit year', 'Tue Nov  3 09:05:03 999'],
    ['ISO 8601', '2026-11-03T09:05:03Z'],
  ];
  it.each(bad)('%s', (_name, text) => {
    const err = caught(() => parseCtime(text, 'sent'));
    expect(err).toBeInstanceOf(InvalidFieldError);
    expect(err).toMatchObject({ code: 'SOCKSPEC_INVALID_FIELD', field: 'sent' });
    expect((err as Error).message).toContain(`field 'sent': expected`);
    expect((err as Error).message).toContain(JSON.stringify(text));
  });

  it('a local time skipped by a daylight-saving change', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(() => parseCtime('Sun Mar  8 02:30:00 2026', 'sent')).toThrow(/naming a local time that exists/);
      expect(parseCtime('Sun Mar  8 03:30:00 2026', 'sent').toISOString()).toBe('2026-03-08T07:30:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('says the right weekday', () => {
    expect(() => parseCtime('Mon Nov  3 09:05:03 2026', 'sent')).toThrow(/expected weekday Tue for Nov 3 2026/);
  });
});

describe('formatCtime', () => {
  it('rejects an invalid Date', () => {
    expect(caught(() => formatCtime(new Date(Number.NaN), 'sent'))).toMatchObject({
      code: 'SOCKSPEC_INVALID_FIELD',
      message: "field 'sent': expected a valid Date in year 1 or later, got Invalid Date",
    });
  });
});
