import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { daemonPaths } from '@harness/protocol';
import { generate } from 'selfsigned';
import { ControllerError } from './errors.js';
import { ensurePrivateDir, writePrivateFile } from './home.js';

/** The daemon's TLS key and certificate (PEM) and the certificate's SHA-256 fingerprint. */
export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
  /** SHA-256 of the certificate (DER), lowercase hex: what clients pin. */
  readonly fingerprint: string;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * The daemon's TLS material under `home/tls/` (key and certificate, 0600): a self-signed EC
 * certificate for `localhost` and 127.0.0.1, generated at first start and reused after.
 *
 * @example
 * const { fingerprint } = await ensureTlsMaterial(defaultHome());
 */
export async function ensureTlsMaterial(home: string): Promise<TlsMaterial> {
  const paths = daemonPaths(home);
  ensurePrivateDir(dirname(paths.tlsKey));
  let key: string;
  let cert: string;
  try {
    key = readFileSync(paths.tlsKey, 'utf8');
    cert = readFileSync(paths.tlsCert, 'utf8');
    chmodSync(paths.tlsKey, 0o600);
    chmodSync(paths.tlsCert, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw tlsError(paths.tlsKey, e);
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + TEN_YEARS_MS),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    key = pems.private;
    cert = pems.cert;
    writePrivateFile(paths.tlsKey, key);
    writePrivateFile(paths.tlsCert, cert);
  }
  try {
    const der = new X509Certificate(cert).raw;
    return { key, cert, fingerprint: createHash('sha256').update(der).digest('hex') };
  } catch (e) {
    throw tlsError(paths.tlsCert, e);
  }
}

function tlsError(path: string, cause: unknown): ControllerError {
  return new ControllerError('TLS_MATERIAL', `cannot use the TLS material at ${path}: ${String(cause)}`, {
    cause,
  });
}
