import { once } from 'node:events';
import { rmSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import {
  type DaemonInfo,
  daemonPaths,
  HOST_NAME,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type WorkerApi,
} from '@harness/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { ControllerError } from './errors.js';
import { ensurePrivateDir, ensureToken, writePrivateFile } from './home.js';
import { Connection } from './service/connection.js';
import { Hosts } from './service/hosts.js';
import { closeServer, listenTls, listenUnix } from './service/listeners.js';
import { ensureTlsMaterial } from './tls-material.js';

/** Options of {@link init}. */
export interface ControllerOptions {
  /** The daemon home (created 0700): token, TLS material, socket, endpoint.json. */
  readonly home: string;
  /**
   * The controller's own worker, in the same process. Without one, services run on standalone
   * workers that connect and register (`worker.register`); calls without a `host` param go to
   * the only one registered.
   */
  readonly worker?: WorkerApi;
  /** The host name of the own worker (default `os.hostname()`): what `params.host` routes by. */
  readonly host?: string;
  /** How often registered workers are pinged, ms (default 15 000); one silent for a period is cut. */
  readonly heartbeatMs?: number;
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
 * With no `worker`, the controller runs no service itself: standalone workers connect, register
 * their host, and take the calls for it.
 *
 * @example
 * const run = await init({ home: defaultHome(), worker, version: '0.1.0' });
 * console.log(run.endpoint.url, run.endpoint.certFingerprint);
 * await run(AbortSignal.timeout(60_000));
 */
export async function init(options: ControllerOptions): Promise<ControllerRun> {
  const paths = daemonPaths(options.home);
  const localHost = options.host ?? hostname();
  if (options.worker !== undefined && !HOST_NAME.test(localHost)) {
    throw new ControllerError(
      'INVALID_OPTION',
      `host must be 1-128 letters, digits, "_", "." or "-" (starting with a letter or digit), got ${JSON.stringify(localHost)}`,
    );
  }
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  if (!(Number.isInteger(heartbeatMs) && heartbeatMs > 0)) {
    throw new ControllerError('INVALID_OPTION', `heartbeatMs must be a whole number > 0, got ${heartbeatMs}`);
  }
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
  const hosts = new Hosts(
    options.worker === undefined
      ? undefined
      : { host: localHost, api: options.worker, version: options.version },
    options.version,
    heartbeatMs,
  );
  const info = (): DaemonInfo => ({
    version: options.version,
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    startedAt,
    home: paths.home,
    hosts: hosts.names(),
    ...(options.info?.() ?? {}),
  });
  const context = {
    token,
    version: options.version,
    hosts,
    handler: hosts.handler(info),
    info,
    onShutdownRequest: options.onShutdownRequest ?? (() => {}),
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
    const connections = new Map<WebSocket, Connection>();
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      socket.on('error', () => {});
      wss.handleUpgrade(req, socket, head, (ws) => {
        connections.set(ws, new Connection(ws, context, req.socket.remoteAddress));
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
