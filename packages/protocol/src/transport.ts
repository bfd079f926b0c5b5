import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type WebSocket from 'ws';
import { ProtocolError } from './errors.js';
import { MAX_FRAME_BYTES } from './frames.js';
import { type FrameSocket, UnixWebSocket } from './unix-websocket.js';

/**
 * Where a daemon listens: its Unix socket (local, file mode 0600), or a `wss://` URL whose
 * certificate is pinned by SHA-256 fingerprint or trusted through a CA (the daemon's own
 * self-signed certificate, PEM).
 */
export type ClientEndpoint =
  | { readonly socketPath: string }
  | { readonly url: string; readonly certFingerprint: string; readonly ca?: undefined }
  | { readonly url: string; readonly ca: string | Buffer; readonly certFingerprint?: undefined };

/**
 * A SHA-256 certificate fingerprint in one form: lowercase hex without separators.
 *
 * @example
 * normalizeFingerprint('AB:CD:01'); // 'abcd01'
 */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(':', '').toLowerCase();
}

function describeEndpoint(endpoint: ClientEndpoint): string {
  return 'socketPath' in endpoint ? `unix socket ${endpoint.socketPath}` : endpoint.url;
}

/**
 * Opens the WebSocket (internal): resolves once open, with the peer certificate checked. The
 * local Unix socket is spoken by {@link UnixWebSocket}; `ws` (and `http`, `tls`) are loaded only
 * for a `wss://` endpoint.
 */
export async function openSocket(endpoint: ClientEndpoint, timeoutMs: number): Promise<FrameSocket> {
  if ('socketPath' in endpoint) {
    return UnixWebSocket.connect(endpoint.socketPath, { maxPayload: MAX_FRAME_BYTES }, timeoutMs);
  }
  if (!endpoint.url.startsWith('wss://')) {
    throw new ProtocolError(
      'DAEMON_UNAVAILABLE',
      `refusing ${endpoint.url}: network clients must use wss://`,
    );
  }
  const { default: WebSocketClass } = await import('ws');
  return openNetworkSocket(WebSocketClass, endpoint, timeoutMs);
}

function openNetworkSocket(
  WebSocket: typeof import('ws').default,
  endpoint: Exclude<ClientEndpoint, { readonly socketPath: string }>,
  timeoutMs: number,
): Promise<WebSocket> {
  const where = describeEndpoint(endpoint);
  let ws: WebSocket;
  let pinned: string | undefined;
  if (endpoint.certFingerprint !== undefined) {
    pinned = normalizeFingerprint(endpoint.certFingerprint);
    // The chain is self-signed: the pin below is the check, made before anything secret is sent.
    ws = new WebSocket(endpoint.url, { maxPayload: MAX_FRAME_BYTES, rejectUnauthorized: false });
  } else {
    ws = new WebSocket(endpoint.url, { maxPayload: MAX_FRAME_BYTES, ca: endpoint.ca });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new ProtocolError('TIMEOUT', `no connection to ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: ProtocolError): void => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(error);
    };
    ws.once('upgrade', (res: IncomingMessage) => {
      if (pinned === undefined) return;
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      const actual = cert.raw === undefined ? '' : createHash('sha256').update(cert.raw).digest('hex');
      if (actual !== pinned) {
        fail(
          new ProtocolError(
            'CERTIFICATE_MISMATCH',
            `the certificate of ${where} has SHA-256 fingerprint ${actual || '(none)'}, ` +
              `not the pinned ${pinned}; refusing to send the token`,
          ),
        );
      }
    });
    ws.once('open', () => {
      clearTimeout(timer);
      ws.removeAllListeners();
      resolve(ws);
    });
    ws.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? ' (is the daemon running?)' : '';
      const coded = code === '' ? '' : `${code}: `;
      fail(
        new ProtocolError(
          'DAEMON_UNAVAILABLE',
          `cannot connect to ${where}: ${coded}${error.message}${hint}`,
          {
            cause: error,
          },
        ),
      );
    });
  });
}
