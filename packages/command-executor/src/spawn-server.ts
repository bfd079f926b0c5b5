import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import type { ExitStatus } from './events.js';
import { watchPid } from './pid-watch.js';
import { readProcStat } from './proc.js';
import { resolveProgram } from './resolve-program.js';
import { SPAWN_SERVER_SCRIPT } from './spawn-server-script.js';

/** What to start through the spawn server (see spawn-server-script.ts). */
export interface ServerSpawnRequest {
  readonly file: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: string;
  /** Default: the same file as stdout. */
  readonly stderr?: string | undefined;
  readonly cgroup?: string | undefined;
}

/** A process the spawn server started. */
export interface ServerChild {
  readonly pid: number;
  /** Resolves when the process has ended (reaped by the server). */
  readonly exited: Promise<ExitStatus>;
  /** Stops keeping this Node process alive for the child's end. */
  unref(): void;
}

/** The server could not start the program: the step that failed and the system error. */
export class SpawnStepError extends Error {
  override readonly name = 'SpawnStepError';
  /** `ENOENT`, `EACCES`, … */
  readonly code: string;
  readonly errno: number;
  /** fork, setsid, cgroup, cwd, stdin, stdout, stderr or exec. */
  readonly step: string;

  constructor(errno: number, step: string) {
    const [name, message] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, `error ${errno}`];
    super(`${step}: ${message}`);
    this.code = name;
    this.errno = errno;
    this.step = step;
  }
}

/** The server went away before it answered; the caller may spawn another way. */
export class SpawnServerGone extends Error {
  override readonly name = 'SpawnServerGone';
  readonly code = 'SPAWN_SERVER_GONE';
}

interface Pending {
  readonly resolve: (child: ServerChild) => void;
  readonly reject: (e: Error) => void;
}

interface Live {
  readonly resolve: (status: ExitStatus) => void;
  ref: boolean;
}

/** How often a child is checked once the server that reaped it is gone (rare: it was killed). */
const ORPHAN_CHECK_MS = 100;

/**
 * A running spawn server and the children it started. Requests are written to its stdin and
 * answered in order on its stdout; exits come as they happen. The server keeps this Node
 * process alive only while a child it started is still referenced or a request is pending.
 */
export class SpawnServer {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #live = new Map<number, Live>();
  #nextId = 1;
  #gone = false;
  #partial = '';
  #refd = false;
  /** Live children still referenced (not unref'd): with a pending request, what keeps us alive. */
  #referenced = 0;

  private constructor(perl: string) {
    this.#proc = spawn(perl, ['-e', SPAWN_SERVER_SCRIPT], {
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: false,
    });
    this.#proc.on('error', () => this.#lost());
    this.#proc.on('exit', () => this.#lost());
    this.#proc.stdin?.on('error', () => this.#lost());
    this.#proc.stdout?.setEncoding('latin1');
    this.#proc.stdout?.on('data', (chunk: string) => this.#read(chunk));
    this.#proc.stdout?.on('close', () => this.#lost());
    this.#proc.unref();
    this.#updateRef();
  }

  /** Starts a server with the `perl` found in PATH; undefined when there is none. */
  static start(path: string | undefined = process.env.PATH): SpawnServer | undefined {
    let perl: string;
    try {
      perl = resolveProgram('perl', path, '/');
    } catch {
      return undefined;
    }
    return new SpawnServer(perl);
  }

  /** Whether the server is still there to take requests. */
  get alive(): boolean {
    return !this.#gone;
  }

  /** The server's own pid. */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /**
   * Starts a program. Resolves once it has been exec'd; rejects with a {@link SpawnStepError}
   * when a step before the exec failed, or {@link SpawnServerGone}.
   */
  spawn(request: ServerSpawnRequest): Promise<ServerChild> {
    if (this.#gone) return Promise.reject(new SpawnServerGone('the spawn server is gone'));
    const id = this.#nextId++;
    const env = Object.entries(request.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const fields = [
      'spawn',
      String(id),
      request.cwd,
      request.stdout,
      request.stderr === undefined || request.stderr === request.stdout ? '' : request.stderr,
      request.cgroup ?? '',
      request.file,
      String(request.argv.length),
      ...request.argv,
      ...env,
    ];
    const body = Buffer.from(fields.join('\0'));
    const child = new Promise<ServerChild>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#updateRef();
    this.#proc.stdin?.write(Buffer.concat([Buffer.from(`${body.length}\n`), body]));
    return child;
  }

  /** Ends the server (its children run on; their ends are no longer reported). */
  close(): void {
    this.#proc.stdin?.end();
  }

  #read(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'spawned') {
        // Watched from this line on: its exit may be the very next line.
        this.#take(Number(a))?.resolve(this.#watch(Number(b)));
      } else if (kind === 'error') {
        const p = this.#take(Number(a));
        p?.reject(new SpawnStepError(Number(b), c ?? 'spawn'));
      } else if (kind === 'exit') {
        const pid = Number(a);
        const live = this.#live.get(pid);
        if (live === undefined) continue;
        this.#live.delete(pid);
        this.#release(live);
        const code = Number(b);
        const signal = Number(c);
        live.resolve({ code: code >= 0 ? code : null, signal: signal >= 0 ? signalName(signal) : null });
      }
    }
    this.#updateRef();
  }

  #watch(pid: number): ServerChild {
    let resolveExit!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => {
      resolveExit = r;
    });
    const live: Live = { resolve: resolveExit, ref: true };
    this.#live.set(pid, live);
    this.#referenced++;
    return {
      pid,
      exited,
      unref: () => {
        this.#release(live);
        this.#updateRef();
      },
    };
  }

  /** The child no longer keeps this process alive (unref'd, or ended). */
  #release(live: Live): void {
    if (!live.ref) return;
    live.ref = false;
    this.#referenced--;
  }

  #take(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    return p;
  }

  /**
   * The server ended (killed, or perl failed): pending requests are refused, and the children
   * it started are watched by pid from now on — their exit status is no longer known.
   */
  #lost(): void {
    if (this.#gone) return;
    this.#gone = true;
    for (const p of this.#pending.values()) p.reject(new SpawnServerGone('the spawn server is gone'));
    this.#pending.clear();
    for (const [pid, live] of this.#live) {
      watchPid(pid, readProcStat(pid)?.startTime, ORPHAN_CHECK_MS, () =>
        live.resolve({ code: null, signal: null }),
      );
    }
    this.#live.clear();
    this.#referenced = 0;
    this.#updateRef();
  }

  #updateRef(): void {
    const want = !this.#gone && (this.#pending.size > 0 || this.#referenced > 0);
    if (want === this.#refd) return;
    this.#refd = want;
    const out = this.#proc.stdout as (NodeJS.ReadableStream & { ref(): void; unref(): void }) | null;
    const inp = this.#proc.stdin as (NodeJS.WritableStream & { ref(): void; unref(): void }) | null;
    if (want) {
      out?.ref();
    } else {
      out?.unref();
      inp?.unref();
    }
  }
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

function signalName(n: number): NodeJS.Signals | null {
  return SIGNAL_NAMES.get(n) ?? null;
}
