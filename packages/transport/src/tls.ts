import fs from 'node:fs/promises';
import type tls from 'node:tls';
import { InvalidAddressError, systemErrorCode, TlsHandshakeError } from './errors.js';
import type { TlsOptions } from './types.js';

/** A PEM certificate chain or key is a few KiB; this only stops a wrong path (a disk image, /dev/zero) being read whole. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

type Pem = string | Uint8Array;

/** Reads each path option once, so a listener does not touch the disk per handshake. */
async function load(name: string, value: Pem): Promise<Buffer> {
  if (typeof value !== 'string') return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(value, 'r');
  } catch (err) {
    throw new InvalidAddressError(`cannot read tls.${name} from ${value}: ${systemErrorCode(err) ?? String(err)}`, {
      cause: err,
    });
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_TLS_FILE_BYTES) {
      throw new InvalidAddressError(
        `tls.${name} file ${value} is ${size} bytes, over the limit of ${MAX_TLS_FILE_BYTES}; expected a PEM file`,
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function loadCa(ca: NonNullable<TlsOptions['ca']>): Promise<Buffer[]> {
  const list: readonly Pem[] = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca;
  return Promise.all(list.map((entry) => load('ca', entry)));
}

export async function tlsServerOptions(options: TlsOptions | undefined, url: string): Promise<tls.TlsOptions> {
  if (options?.cert === undefined || options.key === undefined) {
    throw new InvalidAddressError(
      `cannot listen on ${url}: a tls listener needs tls.cert and tls.key (file paths or PEM bytes), got ` +
        `${options?.cert === undefined ? 'no cert' : 'a cert'} and ${options?.key === undefined ? 'no key' : 'a key'}`,
    );
  }
  if (options.servername !== undefined) {
    throw new InvalidAddressError('tls.servername is a client option; a listener serves one certificate');
  }
  const [cert, key, ca] = await Promise.all([
    load('cert', options.cert),
    load('key', options.key),
    options.ca === undefined ? undefined : loadCa(options.ca),
  ]);
  return {
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    requestCert: options.requestCert ?? false,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  };
}

export async function tlsClientOptions(options: TlsOptions | undefined, host: string): Promise<tls.ConnectionOptions> {
  if (options?.requestCert !== undefined) {
    throw new InvalidAddressError('tls.requestCert is a listener option; a client always gets the server certificate');
  }
  if ((options?.cert === undefined) !== (options?.key === undefined)) {
    throw new InvalidAddressError('a tls client certificate needs both tls.cert and tls.key');
  }
  const [cert, key, ca] = await Promise.all([
    options?.cert === undefined ? undefined : load('cert', options.cert),
    options?.key === undefined ? undefined : load('key', options.key),
    options?.ca === undefined ? undefined : loadCa(options.ca),
  ]);
  // Node refuses an IP address as SNI (RFC 6066); the certificate is still
  // checked against the IP through checkServerIdentity.
  const servername = options?.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  return {
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(ca === undefined ? {} : { ca }),
    ...(servername === undefined ? {} : { servername }),
    rejectUnauthorized: options?.rejectUnauthorized ?? true,
  };
}

const TRUST_HINTS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is signed by a CA this client does not trust; pass tls.ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is signed by a CA this client does not trust; pass tls.ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a self-signed CA this client does not trust; pass tls.ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed and not trusted; pass it as tls.ca',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'the certificate does not name this host; connect by a name it lists or set tls.servername',
};

/** True for errors raised by the TLS layer rather than by the TCP connection under it. */
export function isTlsError(err: unknown): boolean {
  const code = systemErrorCode(err);
  if (code === undefined) return false;
  return code in TRUST_HINTS || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /CERT/.test(code);
}

export function tlsHandshakeError(url: string, err: Error): TlsHandshakeError {
  const code = systemErrorCode(err);
  const hint = code === undefined ? undefined : TRUST_HINTS[code];
  return new TlsHandshakeError(
    url,
    `TLS handshake with ${url} failed: ${hint === undefined ? err.message : `${hint} (${err.message})`}`,
    code === undefined ? { cause: err } : { cause: err, tlsCode: code },
  );
}
