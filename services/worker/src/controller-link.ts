import { HarnessClient, ProtocolError, type WorkerApi, workerHandler } from '@harness/protocol';
import type { ControllerLinkEvent, NormalizedWorkerOptions } from './options.js';

/**
 * Calls the controller may have open on a worker at once. The controller multiplexes every
 * client's calls for this host onto one connection, so this is well above one client's 256.
 */
export const WORKER_MAX_OPEN = 16_384;

type LinkOptions = NonNullable<NormalizedWorkerOptions['controller']>;

/**
 * A standalone worker's connection to its controller (internal): connects over WSS with the
 * token and the pinned certificate, answers the controller's calls with the worker's API, and
 * registers the host. When the connection is lost it reconnects with exponential backoff (with
 * jitter) until `run`'s signal aborts; the services keep running meanwhile.
 */
export class ControllerLink {
  readonly #options: LinkOptions;
  readonly #host: string;
  readonly #version: string;
  readonly #api: WorkerApi;
  readonly #onEvent: (event: ControllerLinkEvent) => void;
  #client: HarnessClient | undefined;

  constructor(
    options: LinkOptions,
    host: string,
    version: string,
    api: WorkerApi,
    onEvent: ((event: ControllerLinkEvent) => void) | undefined,
  ) {
    this.#options = options;
    this.#host = host;
    this.#version = version;
    this.#api = api;
    this.#onEvent = (event) => {
      try {
        onEvent?.(event);
      } catch {
        // A listener's mistake must not break the link.
      }
    };
  }

  /** One attempt: connect, answer calls, register. Rejects with a ProtocolError (the link stays down). */
  async connect(attempts = 0): Promise<void> {
    const { url, certFingerprint, token, timeoutMs } = this.#options;
    const client = await HarnessClient.connect(
      { url, certFingerprint },
      { token, timeoutMs, clientName: `harness-worker ${this.#host}` },
    );
    client.serve(workerHandler(this.#api), { maxOpen: WORKER_MAX_OPEN });
    let timer: NodeJS.Timeout | undefined;
    try {
      const registered = await Promise.race([
        client.request('worker.register', { host: this.#host, version: this.#version, pid: process.pid }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ProtocolError('TIMEOUT', `no answer to worker.register within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      client.watchdog(registered.heartbeatMs * 3);
      this.#client = client;
      this.#onEvent({ type: 'registered', url, host: this.#host, version: registered.version, attempts });
    } catch (error) {
      await client.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Keeps the link up until `signal` aborts, then closes it. Starts from the connection made by
   * {@link ControllerLink.connect}; every loss is followed by attempts with growing delays.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { url, initialDelayMs, maxDelayMs } = this.#options;
    let attempt = 0;
    let lastError: string | undefined;
    while (!signal.aborted) {
      const client = this.#client;
      if (client !== undefined) {
        await untilEither(client.closed, signal);
        if (signal.aborted) break;
        this.#client = undefined;
        lastError = client.closeError?.message ?? 'the connection closed';
        this.#onEvent({ type: 'disconnected', url, reason: lastError });
        attempt = 0;
      }
      attempt++;
      const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
      const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
      this.#onEvent({
        type: 'retrying',
        url,
        attempt,
        delayMs,
        ...(lastError === undefined ? {} : { error: lastError }),
      });
      await delay(delayMs, signal);
      if (signal.aborted) break;
      try {
        await this.connect(attempt);
      } catch (error) {
        const code = error instanceof ProtocolError ? ` (${error.code})` : '';
        lastError = `${error instanceof Error ? error.message : String(error)}${code}`;
      }
    }
    const open = this.#client;
    this.#client = undefined;
    await open?.close();
  }
}

/** Resolves when `p` settles or `signal` aborts, whichever is first; leaves no listener behind. */
async function untilEither(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      p,
      new Promise<void>((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** Waits `ms` (the backoff between attempts), or less if `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return untilEither(
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
    signal,
  ).finally(() => clearTimeout(timer));
}
