import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { truncateUtf8, utf8ByteLength } from '../src/index.js';

describe('truncateUtf8', () => {
  it('leaves text that fits alone', () => {
    expect(truncateUtf8('héllo', 6)).toBe('héllo');
  });

  it('cuts between characters and marks the cut', () => {
    expect(truncateUtf8('aé😀b', 7)).toBe('aé…');
    expect(truncateUtf8('abcdef', 4)).toBe('a…');
    expect(truncateUtf8('abcdef', 2)).toBe('');
  });

  it('never exceeds the budget and keeps a prefix of the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 0, max: 64 }), (text, maxBytes) => {
        const cut = truncateUtf8(text, maxBytes);
        expect(utf8ByteLength(cut)).toBeLessThanOrEqual(maxBytes);
        expect(text.startsWith(cut.endsWith('…') && cut !== text ? cut.slice(0, -1) : cut)).toBe(true);
      }),
    );
  });
});
