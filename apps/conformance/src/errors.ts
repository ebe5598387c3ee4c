import { SockspecError } from '@sockspec/errors';

/** A server answered with something other than what its protocol prescribes for the request. */
export class WrongReplyError extends SockspecError {
  constructor(where: string, request: string, expected: string, got: string) {
    super('SOCKSPEC_WRONG_REPLY', `${where}: wrong reply to ${request}: expected ${expected}, got ${got}`);
  }
}
