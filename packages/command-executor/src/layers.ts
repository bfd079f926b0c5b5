import { isAbsolute, resolve } from 'node:path';
import { Command } from './command.js';
import { CommandError } from './errors.js';
import { shellJoin, shellQuote } from './quote.js';

/**
 * A layer transforms a {@link Command} into another Command without running anything.
 * Layers are pure: `apply` returns new data, so stacks are tested with `deepStrictEqual`.
 */
export interface Layer {
  /** A short name for messages, e.g. `ssh(deploy@edge-1)`. */
  readonly name: string;
  apply(command: Command): Command;
}

/**
 * Composes layers. The first layer is the innermost: it wraps the command first, and each later
 * layer wraps the result. `stack(docker, ssh)` runs `docker exec` on the ssh host:
 * `ssh host 'docker exec ctr program args'`.
 *
 * @example
 * const remoteContainer = stack(new DockerLayer({ container: 'db' }), new SshLayer({ host: 'edge-1' }));
 * remoteContainer.apply(Command.of('psql', '-c', 'select 1')).display();
 */
export function stack(...layers: readonly Layer[]): Layer {
  return {
    name: layers.map((l) => l.name).join(' → ') || 'identity',
    apply: (command) => layers.reduce((cmd, layer) => layer.apply(cmd), command),
  };
}

/** Options of {@link LocalLayer}. */
export interface LocalLayerOptions {
  /** Variables every command gets; a command's own values win. */
  readonly env?: Readonly<Record<string, string>>;
  /** Folder commands run in; a command's relative cwd is resolved against it. */
  readonly cwd?: string;
  /** Start from an empty environment instead of the launcher's. */
  readonly clearEnv?: boolean;
}

/**
 * Sets the environment and working folder of a local command.
 *
 * @example
 * new LocalLayer({ env: { TZ: 'UTC' }, cwd: '/srv/app' }).apply(Command.of('date')).display()
 * // => "cd /srv/app && TZ=UTC date"
 */
export class LocalLayer implements Layer {
  readonly name = 'local';
  readonly #options: LocalLayerOptions;

  constructor(options: LocalLayerOptions = {}) {
    this.#options = { ...options };
  }

  apply(command: Command): Command {
    const { env, cwd, clearEnv } = this.#options;
    let dir = command.cwd;
    if (cwd !== undefined) dir = dir === undefined ? cwd : isAbsolute(dir) ? dir : resolve(cwd, dir);
    return command.with({
      env: { ...(env ?? {}), ...command.env },
      cwd: dir,
      inheritEnv: clearEnv ? false : command.inheritEnv,
    });
  }
}

/**
 * The remote command line for a command run by a POSIX shell on another machine:
 * `cd DIR && exec env VAR=value program args`, every byte quoted.
 */
export function remoteShellLine(command: Command): string {
  const envParts = Object.entries(command.env).map(([k, v]) => shellQuote(`${k}=${v}`));
  const envPrefix = !command.inheritEnv
    ? ['env', '-i', ...envParts]
    : envParts.length > 0
      ? ['env', ...envParts]
      : [];
  const line = ['exec', ...envPrefix, shellJoin(command.argv())].join(' ');
  return command.cwd === undefined ? line : `cd ${shellQuote(command.cwd)} && ${line}`;
}

/** Options of {@link SshLayer}. */
export interface SshLayerOptions {
  /** Host name or address. */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  readonly identityFile?: string;
  /** Extra `-o` options, e.g. `{ StrictHostKeyChecking: 'no' }`. */
  readonly options?: Readonly<Record<string, string>>;
  /** Seconds to wait for the connection (`ConnectTimeout`). */
  readonly connectTimeout?: number;
  /** Never ask for a password or passphrase (default true). */
  readonly batchMode?: boolean;
  /** Force a remote terminal (`-tt`): the remote process then gets SIGHUP when ssh dies. */
  readonly tty?: boolean;
  /** The ssh client to run (default `ssh`). */
  readonly sshBinary?: string;
}

/**
 * Wraps a command in `ssh`, so it runs on another host. The remote side must have a POSIX
 * login shell; arguments arrive byte-exact (see {@link remoteShellLine}). The command's env and
 * cwd apply on the remote host; the local ssh process gets neither.
 *
 * @example
 * new SshLayer({ host: '10.0.0.5', user: 'deploy', port: 2222 }).apply(Command.of('echo', 'a b')).argv()
 * // => ['ssh', '-o', 'BatchMode=yes', '-p', '2222', '-l', 'deploy', '-n', '--', '10.0.0.5', "exec echo 'a b'"]
 */
export class SshLayer implements Layer {
  readonly name: string;
  readonly #options: SshLayerOptions;

  constructor(options: SshLayerOptions) {
    if (!options.host || /\s/.test(options.host) || options.host.startsWith('-')) {
      throw new CommandError(
        'INVALID_OPTION',
        `ssh host ${JSON.stringify(options.host)} is not a valid host name`,
      );
    }
    if (
      options.port !== undefined &&
      !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)
    ) {
      throw new CommandError(
        'INVALID_OPTION',
        `ssh port ${JSON.stringify(options.port)} is not a port number`,
      );
    }
    if (
      options.connectTimeout !== undefined &&
      !(Number.isFinite(options.connectTimeout) && options.connectTimeout > 0)
    ) {
      throw new CommandError(
        'INVALID_OPTION',
        `ssh connectTimeout ${JSON.stringify(options.connectTimeout)} must be a positive number of seconds`,
      );
    }
    this.#options = { ...options };
    this.name = `ssh(${options.user ? `${options.user}@` : ''}${options.host})`;
  }

  apply(command: Command): Command {
    const o = this.#options;
    const args: string[] = [];
    if (o.batchMode ?? true) args.push('-o', 'BatchMode=yes');
    if (o.connectTimeout !== undefined) args.push('-o', `ConnectTimeout=${Math.ceil(o.connectTimeout)}`);
    for (const [k, v] of Object.entries(o.options ?? {})) args.push('-o', `${k}=${v}`);
    if (o.port !== undefined) args.push('-p', String(o.port));
    if (o.identityFile !== undefined) args.push('-i', o.identityFile);
    if (o.user !== undefined) args.push('-l', o.user);
    if (o.tty) args.push('-tt');
    else if (command.stdin === 'null') args.push('-n');
    args.push('--', o.host, remoteShellLine(command));
    return new Command({ program: o.sshBinary ?? 'ssh', args, stdin: command.stdin });
  }
}

/** Options of {@link DockerLayer}. */
export interface DockerLayerOptions {
  /** Container name or id. */
  readonly container: string;
  readonly user?: string;
  /** Working folder inside the container when the command has no cwd of its own. */
  readonly workdir?: string;
  /** Variables every command gets inside the container; a command's own values win. */
  readonly env?: Readonly<Record<string, string>>;
  /** Keep stdin open (`-i`); implied when the command's stdin is a pipe or inherited. */
  readonly interactive?: boolean;
  /** Allocate a terminal (`-t`). */
  readonly tty?: boolean;
  /** Engine to talk to (`-H`), e.g. `unix:///run/docker.sock`. */
  readonly dockerHost?: string;
  /** The docker client to run (default `docker`). */
  readonly dockerBinary?: string;
}

/**
 * Wraps a command in `docker exec`, so it runs inside a running container. Arguments are passed
 * as an argument vector (no shell), so they arrive unchanged.
 *
 * @example
 * new DockerLayer({ container: 'db', user: 'postgres' }).apply(Command.of('pg_isready')).argv()
 * // => ['docker', 'exec', '-u', 'postgres', 'db', 'pg_isready']
 */
export class DockerLayer implements Layer {
  readonly name: string;
  readonly #options: DockerLayerOptions;

  constructor(options: DockerLayerOptions) {
    if (!options.container || options.container.startsWith('-')) {
      throw new CommandError(
        'INVALID_OPTION',
        `docker container ${JSON.stringify(options.container)} is not a valid name or id`,
      );
    }
    this.#options = { ...options };
    this.name = `docker(${options.container})`;
  }

  apply(command: Command): Command {
    const o = this.#options;
    const args: string[] = [];
    if (o.dockerHost !== undefined) args.push('-H', o.dockerHost);
    args.push('exec');
    if (o.interactive || command.stdin !== 'null') args.push('-i');
    if (o.tty) args.push('-t');
    if (o.user !== undefined) args.push('-u', o.user);
    const workdir = command.cwd ?? o.workdir;
    if (workdir !== undefined) args.push('-w', workdir);
    const env = { ...(o.env ?? {}), ...command.env };
    if (command.inheritEnv) for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
    args.push(o.container);
    if (!command.inheritEnv) args.push('env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`));
    args.push(...command.argv());
    return new Command({ program: o.dockerBinary ?? 'docker', args, stdin: command.stdin });
  }
}
