import { SockspecError } from '@sockspec/errors';

/** A server answered a request with something other than what its protocol prescribes. */
export class WrongReplyError extends SockspecError {
  constructor(request: string, expected: string, got: string) {
    super('SOCKSPEC_WRONG_REPLY', `wrong reply to ${request}: expected ${expected}, got ${got}`);
  }
}

/** The load client only ever targets this machine; anything else is refused before a socket is opened. */
export class NonLoopbackHostError extends SockspecError {
  constructor(host: string) {
    super(
      'SOCKSPEC_INVALID_ADDRESS',
      `refusing to load ${JSON.stringify(host)}: sockspec-load only targets loopback (127.0.0.0/8, ::1, localhost) or a Unix socket`,
    );
  }
}
