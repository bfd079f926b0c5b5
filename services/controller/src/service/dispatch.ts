import {
  type DaemonInfo,
  PROTOCOL_VERSION,
  ProtocolError,
  type ProtocolErrorCode,
  type RequestMethod,
  type WorkerApi,
} from '@harness/protocol';
import type { StackSpec, UpOutcome } from '@harness/service-orchestration';

/** What a request handler may use besides its params. */
export interface DispatchContext {
  readonly worker: WorkerApi;
  readonly info: () => DaemonInfo;
}

type Params = Readonly<Record<string, unknown>>;

/** Orchestration codes that travel as the same protocol code; anything else is INTERNAL. */
const PASSED_THROUGH: ReadonlySet<string> = new Set<ProtocolErrorCode>([
  'UNKNOWN_STACK',
  'UNKNOWN_SERVICE',
  'INVALID_SPEC',
  'DEPENDENCY_CYCLE',
  'START_FAILED',
]);

/** A worker's error as a protocol error: its code when the protocol has it, else INTERNAL. */
export function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && PASSED_THROUGH.has(code)) {
    return new ProtocolError(code as ProtocolErrorCode, message);
  }
  return new ProtocolError('INTERNAL', message);
}

/** Runs `op` over several services in the order given and merges the outcomes. */
async function each(
  services: readonly string[],
  op: (service: string) => Promise<UpOutcome>,
): Promise<UpOutcome> {
  const rows = new Map<string, UpOutcome['services'][number]>();
  let ok = true;
  for (const service of services) {
    const outcome = await op(service);
    ok &&= outcome.ok;
    for (const row of outcome.services) rows.set(row.service, row);
  }
  return { ok, services: [...rows.values()] };
}

/**
 * Runs one request method against the worker (params already validated) and resolves with the
 * result to send. `daemon.shutdown` is answered by the caller, which then asks for the shutdown.
 */
export async function dispatch(
  method: RequestMethod,
  params: Params,
  ctx: DispatchContext,
): Promise<unknown> {
  const { worker } = ctx;
  const stack = params.stack as string;
  const services = params.services as string[];
  switch (method) {
    case 'daemon.info':
      return ctx.info();
    case 'daemon.shutdown':
      return { ok: true };
    case 'stack.up':
      return worker.up(params.stack as StackSpec, params.services as string[] | undefined);
    case 'stack.down':
      await worker.down(stack);
      return { ok: true };
    case 'stack.list':
      return worker.stacks();
    case 'service.start':
      return each(services, (s) => worker.start(stack, s));
    case 'service.stop':
      for (const s of services) await worker.stop(stack, s);
      return { ok: true };
    case 'service.restart':
      return each(services, (s) => worker.restart(stack, s));
    case 'status':
      return worker.status(params.stack as string | undefined);
  }
}

/** The full `daemon.info` answer from the fixed facts and the embedder's extras. */
export function daemonInfo(
  base: { version: string; home: string; startedAt: number },
  extra: (() => Partial<DaemonInfo>) | undefined,
): DaemonInfo {
  return {
    version: base.version,
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    startedAt: base.startedAt,
    home: base.home,
    ...(extra?.() ?? {}),
  };
}
