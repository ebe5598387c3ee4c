import type { FramingConfig } from '@sockspec/codec';
import { describe, expect, it } from 'vitest';
import { frameText } from '../src/index.js';

const lines: FramingConfig = {
  kind: 'delimited',
  delimiter: [0x0d, 0x0a],
  keepDelimiter: false,
  stripCarriageReturn: false,
  maxFrameBytes: 64,
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('frameText', () => {
  it('drops exactly one trailing delimiter and decodes UTF-8', () => {
    expect(frameText(bytes('[Mon Nov 23 11:20:26 2026] h\u00e9\r\n'), lines)).toBe(
      '[Mon Nov 23 11:20:26 2026] h\u00e9',
    );
    expect(frameText(bytes('a\r\n\r\n'), lines)).toBe('a\r\n');
    expect(frameText(bytes('no delimiter'), lines)).toBe('no delimiter');
    expect(frameText(bytes('\n'), lines)).toBe('\n');
  });

  it('refuses framings that have no line delimiter', () => {
    expect(() => frameText(bytes('x'), { kind: 'raw', maxFrameBytes: 8 })).toThrow(/delimited .*got 'raw'/);
  });
});
