import { describe, expect, it } from 'vitest';
import { isSockspecError, SockspecError } from '../src/index.js';

class FrameTooLarge extends SockspecError {
  constructor() {
    super('SOCKSPEC_FRAME_TOO_LARGE', 'frame of 70000 bytes exceeds maxFrameBytes 65536');
  }
}

describe('SockspecError', () => {
  it('carries a stable code, the message, and the subclass name', () => {
    const err = new FrameTooLarge();
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('SOCKSPEC_FRAME_TOO_LARGE');
    expect(err.name).toBe('FrameTooLarge');
    expect(err.message).toBe('frame of 70000 bytes exceeds maxFrameBytes 65536');
    expect(String(err)).toBe('FrameTooLarge: frame of 70000 bytes exceeds maxFrameBytes 65536');
  });

  it('keeps the cause only when one is given', () => {
    const cause = new Error('ECONNRESET');
    expect(new SockspecError('SOCKSPEC_CONNECTION_CLOSED', 'peer reset', { cause }).cause).toBe(cause);
    expect('cause' in new SockspecError('SOCKSPEC_CONNECTION_CLOSED', 'peer reset')).toBe(false);
  });
});

describe('isSockspecError', () => {
  it('matches SockspecErrors, optionally by code, and nothing else', () => {
    const err = new FrameTooLarge();
    expect(isSockspecError(err)).toBe(true);
    expect(isSockspecError(err, 'SOCKSPEC_FRAME_TOO_LARGE')).toBe(true);
    expect(isSockspecError(err, 'SOCKSPEC_INVALID_LENGTH')).toBe(false);
    expect(isSockspecError(new Error('plain'))).toBe(false);
    expect(isSockspecError({ code: 'SOCKSPEC_FRAME_TOO_LARGE' })).toBe(false);
  });
});
