import { once } from 'node:events';
import { existsSync, chmodSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { ControllerError } from '../errors.js';
import type { TlsMaterial } from '../tls-material.js';

/** Answers plain HTTP requests: only WebSocket upgrades are served. */
function upgradeOnly(server: Server): Server {
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end('this is the Harness daemon: connect with a WebSocket (see docs/protocol.md)\n');
  });
  return server;
}

function listen(server: Server, describe: string, bind: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        const message = `cannot listen on ${describe}: address already in use`;
        reject(new ControllerError('ADDRESS_IN_USE', message, { cause: error }));
        return;
      }
      const message = `cannot listen on ${describe}: ${error.message}`;
      reject(new ControllerError('LISTEN_FAILED', message, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    bind();
  });
}

/** The WSS listener: HTTPS with the daemon's certificate. Resolves with the server and its URL. */
export async function listenTls(
  host: string,
  port: number,
  tls: TlsMaterial,
): Promise<{ server: Server; url: string }> {
  const server = upgradeOnly(createHttpsServer({ key: tls.key, cert: tls.cert }));
  await listen(server, `${host}:${port}`, () => server.listen(port, host));
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new ControllerError('LISTEN_FAILED', 'no address');
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `wss://${shown}:${address.port}` };
}

/** Whether something accepts connections on a Unix socket path. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The local listener on a Unix socket (0600, inside the 0700 home). A socket file left by a
 * daemon that died is removed; one that still answers belongs to a live daemon: refused.
 */
export async function listenUnix(path: string): Promise<Server> {
  if (existsSync(path)) {
    if (await answers(path)) {
      throw new ControllerError('DAEMON_RUNNING', `another daemon is already listening on ${path}`);
    }
    rmSync(path, { force: true });
  }
  const server = upgradeOnly(createHttpServer());
  await listen(server, path, () => server.listen(path));
  chmodSync(path, 0o600);
  return server;
}

/** Closes a server and forgets its open connections; resolves once it is closed. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}
