import {
  type DaemonInfo,
  type FrameCaller,
  type FrameParams,
  type HostInfo,
  ProtocolError,
  type RequestHandler,
  type RequestMethod,
  type SubscriptionMethod,
  type WorkerApi,
  type WorkerRegistered,
  type WorkerRegisterParams,
  workerHandler,
} from '@harness/protocol';
import { LogHold } from './log-hold.js';

/**
 * Where a routed call runs: the controller's own worker, or a standalone worker's connection —
 * either answers requests and opens subscriptions as a connection's handler does.
 */
type Target = RequestHandler;

/** The controller's own worker (same process). */
export interface LocalWorker {
  readonly host: string;
  readonly api: WorkerApi;
  readonly version: string;
}

/**
 * A standalone worker registered on one connection (internal): calls go out as request frames
 * through its {@link FrameCaller}; the connection hands the answers to the same caller.
 */
export class WorkerLink implements Target {
  readonly host: string;
  readonly version: string;
  readonly pid: number | undefined;
  readonly address: string | undefined;
  readonly since = Date.now();
  readonly caller: FrameCaller;

  constructor(params: WorkerRegisterParams, address: string | undefined, caller: FrameCaller) {
    this.host = params.host;
    this.version = params.version;
    this.pid = params.pid;
    this.address = address;
    this.caller = caller;
  }

  request(method: RequestMethod, params: FrameParams): Promise<unknown> {
    return this.caller.request(method, params);
  }

  /**
   * Opens a subscription on the worker. A `logs` subscription with `wait` is opened with `wait`
   * there too: the worker then drops nothing and sends batches as fast as this connection takes
   * them. This connection carries every client's calls for the host, so it is never paused for
   * one of them: the controller holds what its client has not taken yet, within bounds
   * ({@link LogHold}).
   */
  async subscribe(
    method: SubscriptionMethod,
    params: FrameParams,
    signal: AbortSignal,
  ): Promise<AsyncIterable<unknown>> {
    if (method === 'logs' && params.wait === true) {
      const hold = new LogHold();
      const expand = (event: unknown): readonly unknown[] => hold.take(event);
      const { items, subscribed } = this.caller.subscribe(method, params, { signal, expand });
      await subscribed;
      return hold.release(items);
    }
    const { items, subscribed } = this.caller.subscribe(method, params, { signal });
    await subscribed;
    return items;
  }

  info(): HostInfo {
    return {
      host: this.host,
      local: false,
      state: 'connected',
      version: this.version,
      since: this.since,
      ...(this.pid === undefined ? {} : { pid: this.pid }),
      ...(this.address === undefined ? {} : { address: this.address }),
    };
  }
}

interface Gone {
  readonly info: HostInfo;
  readonly why: string;
}

function withoutHost(params: FrameParams): FrameParams {
  if (!('host' in params)) return params;
  const { host: _host, ...rest } = params;
  return rest;
}

/**
 * The hosts a controller routes calls to (internal): its own worker, if it has one, and the
 * standalone workers registered over connections. Remembers hosts that went away, so a call
 * to one says WORKER_GONE rather than "unknown".
 */
export class Hosts {
  readonly #local: (LocalWorker & { readonly target: Target; readonly since: number }) | undefined;
  readonly #links = new Map<string, WorkerLink>();
  readonly #gone = new Map<string, Gone>();
  readonly heartbeatMs: number;
  readonly #version: string;

  constructor(local: LocalWorker | undefined, version: string, heartbeatMs: number) {
    this.#local =
      local === undefined ? undefined : { ...local, target: workerHandler(local.api), since: Date.now() };
    this.#version = version;
    this.heartbeatMs = heartbeatMs;
  }

  /** Adds a standalone worker; throws HOST_TAKEN when its name is in use. */
  register(link: WorkerLink): WorkerRegistered {
    const { host } = link;
    if (this.#local?.host === host) {
      throw new ProtocolError(
        'HOST_TAKEN',
        `host "${host}" is this controller's own worker; pick another name`,
      );
    }
    const taken = this.#links.get(host);
    if (taken !== undefined) {
      const who = [
        taken.pid === undefined ? undefined : `pid ${taken.pid}`,
        taken.address === undefined ? undefined : `from ${taken.address}`,
        `since ${new Date(taken.since).toISOString()}`,
      ].filter((x) => x !== undefined);
      throw new ProtocolError(
        'HOST_TAKEN',
        `host "${host}" is already registered by another worker (${who.join(', ')}); ` +
          'each worker needs its own host name',
      );
    }
    this.#links.set(host, link);
    this.#gone.delete(host);
    return { host, version: this.#version, heartbeatMs: this.heartbeatMs };
  }

  /** Removes a worker whose connection ended: its calls fail with WORKER_GONE naming it. */
  unregister(link: WorkerLink, why: string): void {
    if (this.#links.get(link.host) !== link) return;
    this.#links.delete(link.host);
    const at = Date.now();
    this.#gone.set(link.host, { info: { ...link.info(), state: 'gone', since: at }, why });
    link.caller.shutdown(
      new ProtocolError(
        'WORKER_GONE',
        `the worker of host ${link.host} went away (${why}) before answering; ` +
          'its services keep running there, and it is called again once it registers',
      ),
    );
  }

  /** Names of the hosts that take calls now. */
  names(): string[] {
    return [...(this.#local === undefined ? [] : [this.#local.host]), ...this.#links.keys()];
  }

  /** Every host: own worker first, then registered ones, then gone ones. */
  list(): HostInfo[] {
    const local = this.#local;
    return [
      ...(local === undefined
        ? []
        : [
            {
              host: local.host,
              local: true,
              state: 'connected' as const,
              version: local.version,
              since: local.since,
            },
          ]),
      ...[...this.#links.values()].map((l) => l.info()),
      ...[...this.#gone.values()].map((g) => g.info),
    ];
  }

  /** Where a call with this `host` param runs; throws UNKNOWN_HOST, NO_WORKER or WORKER_GONE. */
  target(host: string | undefined): Target {
    if (host !== undefined) {
      if (this.#local?.host === host) return this.#local.target;
      const link = this.#links.get(host);
      if (link !== undefined) return link;
      const gone = this.#gone.get(host);
      if (gone !== undefined) throw goneError(host, gone);
      const known = this.names();
      throw new ProtocolError(
        'UNKNOWN_HOST',
        `no worker for host "${host}" (known: ${known.length === 0 ? 'none' : known.join(', ')})`,
      );
    }
    if (this.#local !== undefined) return this.#local.target;
    if (this.#links.size === 1) return [...this.#links.values()][0] as WorkerLink;
    if (this.#links.size > 1) {
      throw new ProtocolError(
        'NO_WORKER',
        `several workers are registered (${[...this.#links.keys()].join(', ')}): name one with the host param`,
      );
    }
    const [first] = this.#gone;
    if (first !== undefined) throw goneError(first[0], first[1]);
    throw new ProtocolError(
      'NO_WORKER',
      'no worker is registered with this controller: start one with `harness worker --controller URL`',
    );
  }

  /** The handler of every routed method (plus `daemon.info` and `hosts.list`). */
  handler(info: () => DaemonInfo): RequestHandler {
    return {
      request: async (method, params) => {
        if (method === 'daemon.info') return info();
        if (method === 'hosts.list') return this.list();
        return this.target(params.host as string | undefined).request(method, withoutHost(params));
      },
      subscribe: async (method, params, signal) =>
        this.target(params.host as string | undefined).subscribe(method, withoutHost(params), signal),
    };
  }
}

function goneError(host: string, gone: Gone): ProtocolError {
  const at = new Date(gone.info.since).toISOString();
  return new ProtocolError(
    'WORKER_GONE',
    `the worker of host ${host} went away at ${at} (${gone.why}) and has not registered again; ` +
      'its services keep running there',
  );
}
