import { describe, expect, it } from 'vitest';
import {
  ChecksumMismatchError,
  ConstantMismatchError,
  codecFailures,
  FieldTooLargeError,
  InvalidFieldError,
  TrailingBytesError,
  TruncatedMessageError,
  UnknownMessageError,
} from '../src/index.js';

const fail = codecFailures('chat');

describe('codecFailures', () => {
  it('builds each error with the bound protocol, the same as the error classes do', () => {
    const pairs: [Error, Error][] = [
      [
        fail.truncated({ message: 'Join', field: 'nick', needed: 5, offset: 10, frameBytes: 12 }),
        new TruncatedMessageError({
          protocol: 'chat',
          message: 'Join',
          field: 'nick',
          needed: 5,
          offset: 10,
          frameBytes: 12,
        }),
      ],
      [
        fail.trailing({ message: 'Join', consumed: 10, frameBytes: 12 }),
        new TrailingBytesError({ protocol: 'chat', message: 'Join', consumed: 10, frameBytes: 12 }),
      ],
      [fail.unknownCode(49, 'type'), new UnknownMessageError({ protocol: 'chat', code: 49, field: 'type' })],
      [fail.unknownLine('HELO'), new UnknownMessageError({ protocol: 'chat', line: 'HELO' })],
      [
        fail.tooLarge({ message: 'Say', field: 'text', limit: 4, actual: 9 }),
        new FieldTooLargeError({ protocol: 'chat', message: 'Say', field: 'text', limit: 4, actual: 9 }),
      ],
      [
        fail.invalid({ message: 'Say', field: 'room', expected: 'a room', got: '"x"' }),
        new InvalidFieldError({ protocol: 'chat', message: 'Say', field: 'room', expected: 'a room', got: '"x"' }),
      ],
      [
        fail.constant({ message: 'Say', field: 'magic', expected: 0x80, actual: 0x81, offset: 0 }),
        new ConstantMismatchError({
          protocol: 'chat',
          message: 'Say',
          field: 'magic',
          expected: 0x80,
          actual: 0x81,
          offset: 0,
        }),
      ],
      [
        fail.checksum({ message: 'Say', field: 'crc', algorithm: 'crc32', computed: 1, carried: 2 }),
        new ChecksumMismatchError({
          protocol: 'chat',
          message: 'Say',
          field: 'crc',
          algorithm: 'crc32',
          computed: 1,
          carried: 2,
        }),
      ],
    ];
    for (const [built, direct] of pairs) {
      expect(built).toBeInstanceOf(direct.constructor);
      expect(built.message).toBe(direct.message);
      expect(built.message.startsWith('chat')).toBe(true);
      expect({ ...built }).toEqual({ ...direct });
    }
  });
});
