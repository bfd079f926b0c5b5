import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { rmSync } from 'node:fs';
import { type DaemonInfo, daemonPaths, MAX_FRAME_BYTES, type WorkerApi } from '@harness/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { ensurePrivateDir, ensureToken, writePrivateFile } from './home.js';
import { Connection } from './service/connection.js';
import { daemonInfo } from './service/dispatch.js';
import { closeServer, listenTls, listenUnix } from './service/listeners.js';
import { ensureTlsMaterial } from './tls-material.js';

/** Options of {@link init}. */
export interface ControllerOptions {
  /** The daemon home (created 0700): token, TLS material, socket, endpoint.json. */
  readonly home: string;
  /** What runs the services. */
  readonly worker: WorkerApi;
  /** The daemon's version, reported by hello and `daemon.info`. */
  readonly version: string;
  /** The WSS listener (default 127.0.0.1, port 0 = any free port), or `false` for none. */
  readonly listen?: { readonly host: string; readonly port: number } | false;
  /** The Unix socket path (default `daemonPaths(home).socket`), or `false` for none. */
  readonly socket?: string | false;
  /** Extra `daemon.info` fields (e.g. `httpUrl` of the read side). */
  readonly info?: () => Partial<DaemonInfo>;
  /** Called after a client's `daemon.shutdown` was answered. */
  readonly onShutdownRequest?: () => void;
}

/** Where a running controller can be reached. */
export interface ControllerEndpoint {
  readonly socketPath?: string;
  readonly url?: string;
  readonly certFingerprint?: string;
}

/** The controller's run phase: serves until `signal` aborts, then cleans up and resolves. */
export type ControllerRun = ((signal: AbortSignal) => Promise<void>) & {
  readonly endpoint: ControllerEndpoint;
};

/** How long a clean WebSocket close may take at shutdown before the socket is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Sets up the controller — home (0700), token, TLS material, the WSS and Unix-socket listeners,
 * `endpoint.json` — and rejects (leaving nothing listening) if any of it fails. Resolves to `run`.
 *
 * @example
 * const run = await init({ home: defaultHome(), worker, version: '0.1.0' });
 * console.log(run.endpoint.url, run.endpoint.certFingerprint);
 * await run(AbortSignal.timeout(60_000));
 */
export async function init(options: ControllerOptions): Promise<ControllerRun> {
  const paths = daemonPaths(options.home);
  ensurePrivateDir(paths.home);
  const token = Buffer.from(ensureToken(paths.home));
  const tls = await ensureTlsMaterial(paths.home);
  const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
  const socketPath = options.socket ?? paths.socket;
  const servers: Server[] = [];
  const endpoint: { socketPath?: string; url?: string; certFingerprint?: string } = {};
  try {
    if (listen !== false) {
      const { server, url } = await listenTls(listen.host, listen.port, tls);
      servers.push(server);
      endpoint.url = url;
      endpoint.certFingerprint = tls.fingerprint;
    }
    if (socketPath !== false) {
      servers.push(await listenUnix(socketPath));
      endpoint.socketPath = socketPath;
    }
    writePrivateFile(
      paths.endpoint,
      `${JSON.stringify({ url: endpoint.url, certFingerprint: endpoint.certFingerprint, socketPath, pid: process.pid })}\n`,
    );
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    if (endpoint.socketPath !== undefined) rmSync(endpoint.socketPath, { force: true });
    throw error;
  }

  const startedAt = Date.now();
  const context = {
    token,
    version: options.version,
    worker: options.worker,
    info: () => daemonInfo({ version: options.version, home: paths.home, startedAt }, options.info),
    onShutdownRequest: options.onShutdownRequest ?? (() => {}),
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
    const connections = new Map<WebSocket, Connection>();
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      socket.on('error', () => {});
      wss.handleUpgrade(req, socket, head, (ws) => {
        connections.set(ws, new Connection(ws, context));
        ws.once('close', () => connections.delete(ws));
      });
    };
    for (const s of servers) s.on('upgrade', onUpgrade);
    const failure = new Promise<never>((_, reject) => {
      for (const s of servers) s.once('error', reject);
    });
    try {
      if (!signal.aborted) await Promise.race([once(signal, 'abort'), failure]);
    } finally {
      for (const s of servers) s.off('upgrade', onUpgrade);
      const closing = [...connections.keys()].map((ws) => closeClient(ws));
      for (const c of connections.values()) c.shutdown();
      await Promise.all([...servers.map(closeServer), ...closing]);
      wss.close();
      if (endpoint.socketPath !== undefined) rmSync(endpoint.socketPath, { force: true });
      rmSync(paths.endpoint, { force: true });
    }
  };
  return Object.assign(run, { endpoint: Object.freeze({ ...endpoint }) });
}

/** Resolves when a client socket is closed: cleanly, or cut after {@link CLOSE_GRACE_MS}. */
async function closeClient(ws: WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return;
  const closed = once(ws, 'close');
  const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  await closed;
  clearTimeout(timer);
}
