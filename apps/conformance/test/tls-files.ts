import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1, ::1 and localhost, made
 * with the openssl CLI at test time so no key is ever committed. The server
 * presents it; clients trust it as their only CA.
 */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    ],
    { timeout: 15_000 },
  );
  return { cert, key };
}
