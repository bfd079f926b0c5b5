import { createHash } from 'node:crypto';
import { lstatSync, openSync, readdirSync, readlinkSync, readSync, closeSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import { Command, type LocalLauncher, type RunResult } from '@harness/command-executor';
import { OrchestrationError } from './errors.js';
import type { InstanceRecord, RunningInstance, ServiceExecutor, StartContext } from './executor.js';
import { appendNote, errorText } from './remote-common.js';
import type { PackageTarget } from './spec.js';
import { describeHost, SshExecutor, type SshExecutorOptions } from './ssh-executor.js';

/** Options of {@link PackageExecutor}. */
export interface PackageExecutorOptions extends SshExecutorOptions {
  /** The ssh executor that runs the started package (default one made from these options). */
  readonly ssh?: SshExecutor;
  /** Longest an `install` may run before the start fails (default 15 minutes). */
  readonly installTimeoutMs?: number;
}

/**
 * Deploys packages to hosts over SSH and runs them there. A package — a folder, a `.tar`,
 * `.tar.gz` or `.tgz` archive, or one file — is copied to `<name>-<hash>` under the target's
 * `remoteDir` on the host (default `~/.harness/packages`) once per content hash (a SHA-256 of the
 * files, their modes and links); its `install` command runs there once per content hash (its
 * output goes to the service's log; a marker file records success, so a failed install runs again
 * at the next start); and its start command then runs in that folder exactly as an ssh service's
 * does: own process group, stopped as a whole, nothing orphaned when the connection drops,
 * adopted again by a new supervisor.
 *
 * @example
 * const executor = new PackageExecutor();
 * await executor.start({ stack: 'demo', index: 0, logFile: '/tmp/agent.0.log', spec: serviceSpec({
 *   name: 'agent', target: { kind: 'package', host: 'edge-1', connection: { address: '10.0.0.5' },
 *   path: '/srv/dist/agent.tgz', install: { shell: 'npm ci' }, command: ['node', 'agent.js'] } }) });
 */
export class PackageExecutor implements ServiceExecutor {
  readonly kind = 'package';
  readonly #ssh: SshExecutor;
  readonly #launcher: LocalLauncher;
  readonly #installTimeoutMs: number;
  /** Deployments under way, by host and content hash: replicas share one copy and one install. */
  readonly #deploying = new Map<string, Promise<string>>();

  constructor(options: PackageExecutorOptions = {}) {
    this.#ssh = options.ssh ?? new SshExecutor(options);
    this.#launcher = this.#ssh.launcher;
    this.#installTimeoutMs = options.installTimeoutMs ?? 15 * 60_000;
  }

  async start(ctx: StartContext): Promise<RunningInstance> {
    const t = ctx.spec.target;
    if (t.kind !== 'package') {
      throw new OrchestrationError(
        'INVALID_SPEC',
        `service ${ctx.spec.name} is a ${t.kind} service, not a package one`,
      );
    }
    const where = describeHost(t.host, t.connection);
    let hash: string;
    try {
      hash = contentHash(t.path);
    } catch (e) {
      throw new OrchestrationError(
        'START_FAILED',
        `cannot start ${ctx.spec.name}: cannot read package ${t.path}: ${errorText(e)}`,
        { cause: e },
      );
    }
    const dir = `${(t.remoteDir ?? '.harness/packages').replace(/\/+$/, '')}/${packageName(t.path)}-${hash}`;
    const key = `${t.connection.user ?? ''}@${t.connection.address}:${t.connection.port ?? 22}/${dir}`;
    let deploying = this.#deploying.get(key);
    if (deploying === undefined) {
      deploying = this.#deploy(ctx, t, dir).finally(() => this.#deploying.delete(key));
      this.#deploying.set(key, deploying);
    }
    try {
      await deploying;
    } catch (e) {
      throw new OrchestrationError(
        'START_FAILED',
        `cannot start ${ctx.spec.name} on ${where}: ${errorText(e)}`,
        { cause: e },
      );
    }
    return this.#ssh.startRemote(ctx, {
      kind: 'package',
      host: t.host,
      connection: t.connection,
      command: t.command,
      // Relative to the login folder, where ssh starts.
      cwd: t.cwd === undefined ? dir : t.cwd.startsWith('/') ? t.cwd : `${dir}/${t.cwd}`,
      env: t.env,
    });
  }

  adopt(record: InstanceRecord): Promise<RunningInstance | undefined> {
    return this.#ssh.adopt(record);
  }

  /** Copies the package to the host unless it is there, then installs it unless it was. */
  async #deploy(ctx: StartContext, t: PackageTarget, dir: string): Promise<string> {
    const state = await this.#remote(t, DEPLOY_STATE, [dir]);
    const answer = state.stdout.at(-1)?.trim();
    if (state.code !== 0 || (answer !== 'absent' && answer !== 'copied' && answer !== 'installed')) {
      throw new Error(state.stderr.join(' ').trim() || `ssh exited with code ${state.code}`);
    }
    if (answer === 'absent') {
      appendNote(ctx.logFile, `copying ${t.path} to ${dir} on host ${t.host}`);
      const kind = archiveKind(t.path);
      const receive = this.#ssh.command(
        t.connection,
        new Command({
          program: 'sh',
          args: ['-c', RECEIVE, 'harness-receive', dir, kind, basename(t.path)],
          stdin: 'pipe',
        }),
      );
      const copy = await this.#launcher.run(
        new Command({
          program: 'sh',
          args: ['-c', SEND, 'harness-send', t.path, kind, ...receive.argv()],
        }),
        { cgroup: 'off' },
      );
      if (copy.code !== 0) {
        throw new Error(
          `copying ${t.path} failed: ${copy.stderr.join(' ').trim() || `exit code ${copy.code}`}`,
        );
      }
    }
    if (answer !== 'installed' && t.install !== undefined) {
      appendNote(ctx.logFile, `installing ${basename(t.path)} in ${dir} on host ${t.host}`);
      const install = Array.isArray(t.install)
        ? [...t.install]
        : ['sh', '-c', (t.install as { shell: string }).shell];
      const env = Object.entries(t.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const r = await this.#launcher.run(
        this.#ssh.command(
          t.connection,
          Command.of('sh', '-c', INSTALL, 'harness-install', dir, 'env', ...env, ...install),
        ),
        { cgroup: 'off', logFiles: { stdout: ctx.logFile, follow: false }, timeout: this.#installTimeoutMs },
      );
      if (r.code !== 0) {
        throw new Error(
          r.timedOut
            ? `install did not finish within ${Math.round(this.#installTimeoutMs / 1000)} s`
            : `install exited with code ${r.code ?? r.signal} (its output is in the service's log)`,
        );
      }
    }
    return dir;
  }

  #remote(t: PackageTarget, script: string, args: readonly string[]): Promise<RunResult> {
    const cmd = this.#ssh.command(t.connection, Command.of('sh', '-c', script, 'harness-package', ...args));
    return this.#launcher.run(cmd, {
      cgroup: 'off',
      timeout: ((t.connection.connectTimeoutS ?? 10) + 20) * 1000,
    });
  }
}

/** `absent`, `copied` (not installed yet) or `installed`: where the package stands on the host. */
const DEPLOY_STATE = `d=$1
if [ -e "$d/.harness-installed" ]; then echo installed
elif [ -e "$d/.harness-copied" ]; then echo copied
else echo absent; fi`;

/** Local side of a copy: the package as a stream on stdout, into the ssh command that follows. */
const SEND = `src=$1 kind=$2; shift 2
case $kind in
  dir) tar -C "$src" -cf - . ;;
  *) cat "$src" ;;
esac | "$@"`;

/** Remote side of a copy: unpacked into a temporary folder, renamed into place when complete. */
const RECEIVE = `d=$1 kind=$2 name=$3
t=$d.tmp.$$
rm -rf "$t" && mkdir -p "$t" || exit 1
case $kind in
  dir|tar) tar -C "$t" -xf - ;;
  tgz) tar -C "$t" -xzf - ;;
  *) cat > "$t/$name" && chmod 755 "$t/$name" ;;
esac || { rm -rf "$t"; exit 1; }
touch "$t/.harness-copied"
if [ -e "$d/.harness-copied" ]; then rm -rf "$t"; else rm -rf "$d" && mv "$t" "$d"; fi`;

/** Runs the install command in the package's folder; marks success. */
const INSTALL = `d=$1; shift
cd "$d" || exit 1
[ -e .harness-installed ] && exit 0
"$@" </dev/null 2>&1 && touch .harness-installed`;

function archiveKind(path: string): 'dir' | 'tar' | 'tgz' | 'file' {
  if (lstatSync(path).isDirectory()) return 'dir';
  if (/\.(tar\.gz|tgz)$/i.test(path)) return 'tgz';
  if (/\.tar$/i.test(path)) return 'tar';
  return 'file';
}

/** A folder name from the package's: letters, digits, `_`, `.` and `-`, without the archive suffix. */
function packageName(path: string): string {
  const name = basename(path).replace(/\.(tar\.gz|tgz|tar)$/i, '');
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '') || 'package';
}

/**
 * The first 16 hex digits of a SHA-256 over the package: for a folder, every entry's relative
 * path, type, executable bit and content (or link target), in name order; for a file, its bytes.
 */
export function contentHash(path: string): string {
  const hash = createHash('sha256');
  const st = lstatSync(path);
  if (st.isDirectory()) hashTree(hash, path, '');
  else hashFile(hash, path, st);
  return hash.digest('hex').slice(0, 16);
}

function hashTree(hash: ReturnType<typeof createHash>, root: string, rel: string): void {
  const names = readdirSync(join(root, rel)).sort();
  for (const name of names) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const full = join(root, r);
    const st = lstatSync(full);
    if (st.isDirectory()) {
      hash.update(`d ${r}\0`);
      hashTree(hash, root, r);
    } else if (st.isSymbolicLink()) {
      hash.update(`l ${r}\0${readlinkSync(full)}\0`);
    } else if (st.isFile()) {
      hash.update(`f ${r} ${st.mode & 0o111 ? 'x' : '-'} ${st.size}\0`);
      hashFile(hash, full, st);
    }
  }
}

function hashFile(hash: ReturnType<typeof createHash>, path: string, st: Stats): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, st.size)));
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
