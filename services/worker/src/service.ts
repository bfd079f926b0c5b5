import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { type LocalWorkerApi, ProtocolError } from '@harness/protocol';
import { OrchestrationError, ServiceManager } from '@harness/service-orchestration';
import { RegistryError, ServiceRegistry } from '@harness/service-registry';
import { ControllerLink } from './controller-link.js';
import { WorkerError } from './errors.js';
import { type NormalizedWorkerOptions, normalizeOptions, type WorkerOptions } from './options.js';
import { RegistrySync } from './registry-sync.js';
import { workerApi } from './worker-api.js';

/** The running worker: call it with a signal to serve until the signal aborts. */
export type WorkerRun = ((signal: AbortSignal) => Promise<void>) & {
  /** The service API over this host's manager (what the controller and the server use). */
  readonly api: LocalWorkerApi;
  /** The service manager itself. Changes made through it directly reach the registry on its next event. */
  readonly manager: ServiceManager;
  /** This host's name (in the registry, and at the controller in standalone mode). */
  readonly host: string;
};

/**
 * Sets the worker up: opens the service manager on `stateDir` (adopting every instance a
 * previous daemon left running — nothing is launched again), opens the service registry, records
 * this host, and keeps one registry record per instance in step with the manager's events.
 * Rejects with a {@link WorkerError} if the options are bad, the folder is unusable or the state
 * is corrupt; nothing is left open then.
 *
 * Standalone mode (`controller`): `init` also connects to the controller over WSS (token, pinned
 * certificate) and registers this host, and rejects with CONTROLLER_UNREACHABLE or
 * CONTROLLER_REFUSED if that fails; the controller then sends the calls for this host over that
 * connection. `run` keeps the connection up, reconnecting with backoff when it is lost (the
 * services keep running meanwhile), and closes it when it ends.
 *
 * `run(signal)` serves until `signal` aborts, then lets go of the services without stopping
 * them (the next worker on the same folder adopts them: a daemon restart never restarts a
 * service), closes the registry and resolves. It rejects if a registry write failed.
 *
 * @example
 * const worker = await init({ stateDir: '/var/lib/harness/worker' });
 * await worker.api.up(spec);
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * await worker(controller.signal);
 */
export async function init(options: WorkerOptions): Promise<WorkerRun> {
  const opts = normalizeOptions(options);
  checkFolder(opts.stateDir);
  const manager = await openManager(opts);
  let registry: ServiceRegistry;
  try {
    registry = await ServiceRegistry.open({ dir: opts.registryDir });
  } catch (e) {
    await manager.close();
    throw new WorkerError(
      'REGISTRY_FAILED',
      `cannot open the registry in ${opts.registryDir}: ${message(e)}`,
      {
        cause: e,
      },
    );
  }
  let failure: unknown;
  let failed: (() => void) | undefined;
  const sync = new RegistrySync(manager, registry, opts.host, (e) => {
    failure ??= e;
    failed?.();
  });
  try {
    await registry.registerHost({ name: opts.host, ...opts.hostNetwork });
    await sync.reconcile();
  } catch (e) {
    await manager.close();
    await registry.close();
    const code = e instanceof RegistryError && e.code === 'INVALID' ? 'INVALID_OPTION' : 'REGISTRY_FAILED';
    throw new WorkerError(code, `cannot record host ${opts.host} in the registry: ${message(e)}`, {
      cause: e,
    });
  }
  // Every event marks its stack for a registry pass; a reader that lagged re-reads them all.
  const pump = (async () => {
    for await (const e of manager.events.subscribe()) {
      if (e.type === 'lagged') for (const s of manager.stacks()) sync.touch(s);
      else sync.touch(e.stack);
    }
  })();
  const api = workerApi(manager, (stack) => sync.touch(stack));
  let link: ControllerLink | undefined;
  if (opts.controller !== undefined) {
    link = new ControllerLink(opts.controller, opts.host, opts.version, api, options.onController);
    try {
      await link.connect();
    } catch (e) {
      await manager.close();
      await pump;
      await sync.idle();
      await registry.close();
      throw controllerError(e, opts.host, opts.controller.url);
    }
  }

  let done: Promise<void> | undefined;
  const run = (signal: AbortSignal): Promise<void> => {
    done ??= (async () => {
      const stopLink = new AbortController();
      const linked = link?.run(stopLink.signal);
      await new Promise<void>((resolve) => {
        if (signal.aborted || failure !== undefined) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        failed = resolve;
      });
      stopLink.abort(); // no more calls from the controller
      await linked;
      await manager.close(); // ends the event stream, so the pump too
      await pump;
      await sync.idle();
      await registry.close();
      if (failure !== undefined) {
        throw new WorkerError('REGISTRY_FAILED', `a registry write failed: ${message(failure)}`, {
          cause: failure,
        });
      }
    })();
    return done;
  };
  return Object.assign(run, { api, manager, host: opts.host });
}

/** Why the first registration failed, as a WorkerError naming the controller and the host. */
function controllerError(e: unknown, host: string, url: string): WorkerError {
  const code = e instanceof ProtocolError ? e.code : 'INTERNAL';
  const unreachable = code === 'DAEMON_UNAVAILABLE' || code === 'TIMEOUT' || code === 'CONNECTION_CLOSED';
  return new WorkerError(
    unreachable ? 'CONTROLLER_UNREACHABLE' : 'CONTROLLER_REFUSED',
    `cannot register host ${host} with the controller at ${url}: ${message(e)} (${code})`,
    { cause: e },
  );
}

function checkFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new WorkerError('STATE_UNUSABLE', `state folder ${dir} is not usable: ${message(e)}`, { cause: e });
  }
}

async function openManager(opts: NormalizedWorkerOptions): Promise<ServiceManager> {
  try {
    return await ServiceManager.open({
      stateDir: opts.stateDir,
      ...(opts.logLimits === undefined ? {} : { logLimits: opts.logLimits }),
    });
  } catch (e) {
    if (e instanceof OrchestrationError && e.code === 'STATE_CORRUPT') {
      throw new WorkerError('STATE_CORRUPT', `${e.message} (move it away to start from an empty state)`, {
        cause: e,
      });
    }
    throw new WorkerError('STATE_UNUSABLE', `cannot open the state in ${opts.stateDir}: ${message(e)}`, {
      cause: e,
    });
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
