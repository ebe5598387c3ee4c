import { AddressInUseError, InvalidAddressError, systemErrorCode } from './errors.js';

export function listenError(url: string, err: unknown): Error {
  if (!(err instanceof Error)) return new InvalidAddressError(`cannot listen on ${url}: ${String(err)}`);
  const code = systemErrorCode(err);
  switch (code) {
    case 'EADDRINUSE':
      return new AddressInUseError(url, `cannot listen on ${url}: address already in use`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new InvalidAddressError(`cannot listen on ${url}: the address is not on this machine (${code})`, {
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new InvalidAddressError(`cannot listen on ${url}: permission denied (${code})`, { cause: err });
    case 'ENOENT':
    case 'ENOTDIR':
      return new InvalidAddressError(`cannot listen on ${url}: the directory does not exist (${code})`, {
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new InvalidAddressError(`cannot listen on ${url}: host name did not resolve (${code})`, { cause: err });
    default:
      return err;
  }
}
