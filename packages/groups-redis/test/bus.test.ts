import { describe, expect, it } from 'vitest';
import { decodeBusMessage, encodeBusMessage } from '../src/bus.js';

describe('bus messages', () => {
  it('carry any group name and the frame bytes untouched', () => {
    const frame = new Uint8Array([0, 10, 13, 255, 0x7b]);
    const message = { origin: 'a/b', kind: 'group' as const, target: 'room\nwith "quotes"', except: 7, frame };
    const decoded = decodeBusMessage(encodeBusMessage(message));
    expect(decoded).toEqual({ ...message, frame: Buffer.from(frame) });
  });

  it('ignore bytes that are not one', () => {
    for (const garbage of [
      '',
      'no newline',
      '{"x":1}\n',
      '["a","nope","g",1]\nx',
      '[1,"group","g",1]\n',
      'not json\n',
    ]) {
      expect(decodeBusMessage(Buffer.from(garbage))).toBeUndefined();
    }
  });
});
