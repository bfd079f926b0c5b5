import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { daemonPaths, HarnessClient, type WorkerApi } from '@harness/protocol';
import { type ControllerOptions, type ControllerRun, init } from '../src/index.js';

export interface Started {
  readonly home: string;
  readonly run: ControllerRun;
  readonly token: string;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  unix(): Promise<HarnessClient>;
  wss(): Promise<HarnessClient>;
}

export function tempHome(t: TestContext): string {
  // Short: Unix socket paths are limited to ~107 bytes.
  const home = mkdtempSync(join(tmpdir(), 'hc-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

export async function start(
  t: TestContext,
  worker: WorkerApi | undefined,
  extra: Partial<ControllerOptions> = {},
): Promise<Started> {
  const home = extra.home ?? tempHome(t);
  const run = await init({ home, ...(worker === undefined ? {} : { worker }), version: '9.9.9', ...extra });
  const controller = new AbortController();
  const done = run(controller.signal);
  t.after(async () => {
    controller.abort();
    await done;
  });
  const token = readFileSync(daemonPaths(home).token, 'utf8').trim();
  const clients: HarnessClient[] = [];
  t.after(() => Promise.all(clients.map((c) => c.close())));
  const keep = (c: HarnessClient): HarnessClient => {
    clients.push(c);
    return c;
  };
  return {
    home,
    run,
    token,
    controller,
    done,
    unix: async () =>
      keep(await HarnessClient.connect({ socketPath: run.endpoint.socketPath ?? '' }, { token })),
    wss: async () =>
      keep(
        await HarnessClient.connect(
          { url: run.endpoint.url ?? '', certFingerprint: run.endpoint.certFingerprint ?? '' },
          { token },
        ),
      ),
  };
}
