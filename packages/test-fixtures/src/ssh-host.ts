/**
 * A real sshd on its own network address and hostname: a network namespace joined to this
 * machine by a veth pair, with sshd started in it under a fresh UTS namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureError } from './errors.js';
import {
  isAlive,
  logTail,
  onProcessExit,
  pollUntil,
  readPidFile,
  requireBinary,
  runQuiet,
  runStep,
  type StepOutput,
  signal,
  waitGoneSync,
} from './system.js';

/** Options of {@link startSshHost}. */
export interface SshHostOptions {
  /** The remote hostname (`hostname` on the host prints it). Default: the namespace name. */
  readonly hostname?: string;
  /** How long to wait for sshd to accept a real login (default 15 000 ms). */
  readonly readyTimeoutMs?: number;
}

/** The `-o` options a client needs to log in without a known_hosts file. */
export interface KnownHostsOptions {
  readonly StrictHostKeyChecking: 'no';
  readonly UserKnownHostsFile: '/dev/null';
  readonly LogLevel: 'ERROR';
}

/** A running sshd in its own network namespace. */
export interface SshHost {
  /** The network namespace name (also the default hostname), unique per process and call. */
  readonly name: string;
  /** The remote hostname. */
  readonly hostname: string;
  /** The address sshd listens on, e.g. `10.231.17.11`. */
  readonly address: string;
  /** The address of this machine's side of the veth pair, e.g. `10.231.17.1`. */
  readonly gatewayAddress: string;
  readonly port: 22;
  readonly user: 'root';
  /** The client's private key; its public half is the only authorized key. */
  readonly identityFile: string;
  readonly knownHostsOptions: KnownHostsOptions;
  /** The temp folder holding keys, the pid file and `sshd.log`. */
  readonly dir: string;
  /** The pid of the listening sshd. */
  readonly pid: number;
  /** Runs a program inside the network namespace (`ip netns exec`); never throws on exit code. */
  exec(program: string, args?: readonly string[]): Promise<StepOutput>;
  /** Kills every process in the namespace, deletes it and the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** Per-process sequence for unique names; parallel test processes differ by pid. */
let sequence = 0;

/**
 * Starts sshd on a fresh network namespace with a random unused 10.2xx.y.0/24 subnet and
 * waits until `ssh root@address true` succeeds.
 *
 * @example
 * const host = await startSshHost({ hostname: 'edge-1' });
 * try {
 *   // ssh -i host.identityFile -o StrictHostKeyChecking=no … root@host.address hostname  → edge-1
 * } finally {
 *   await host.stop();
 * }
 */
export async function startSshHost(options: SshHostOptions = {}): Promise<SshHost> {
  const ip = requireBinary('ip', 'iproute2');
  const sshd = requireBinary('/usr/sbin/sshd', 'openssh-server');
  const ssh = requireBinary('ssh', 'openssh-client');
  const keygen = requireBinary('ssh-keygen', 'openssh-client');
  const unshare = requireBinary('unshare', 'util-linux');

  sequence += 1;
  const name = `hn${process.pid}x${sequence}`;
  const veth = `hv${process.pid}x${sequence}`;
  const hostname = options.hostname ?? name;
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(hostname)) {
    throw new FixtureError(
      'INVALID_OPTION',
      'startSshHost',
      `hostname ${JSON.stringify(hostname)} is not valid`,
    );
  }
  const subnet = await pickSubnet(ip);
  const gatewayAddress = `${subnet}.1`;
  const address = `${subnet}.11`;
  const dir = mkdtempSync(join(tmpdir(), 'harness-ssh-'));
  const pidFile = join(dir, 'sshd.pid');
  const logFile = join(dir, 'sshd.log');
  const identityFile = join(dir, 'id_ed25519');
  let namespaceMade = false;

  const cleanupSync = (): void => {
    const pids = namespaceMade ? namespacePidsSync(ip, name) : [];
    const sshdPid = readPidFile(pidFile);
    if (sshdPid !== undefined) pids.push(sshdPid);
    for (const pid of pids) signal(pid, 'SIGKILL');
    waitGoneSync(pids, 3000);
    if (namespaceMade) spawnSync(ip, ['netns', 'del', name], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onProcessExit(cleanupSync);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      unregister();
      const sshdPid = readPidFile(pidFile);
      const pids = namespaceMade ? await namespacePids(ip, name) : [];
      if (sshdPid !== undefined && !pids.includes(sshdPid)) pids.push(sshdPid);
      for (const pid of pids) signal(pid, 'SIGTERM');
      if (!(await pollUntil(() => !pids.some(isAlive), 3000, 20))) {
        for (const pid of pids) signal(pid, 'SIGKILL');
        await pollUntil(() => !pids.some(isAlive), 5000, 20);
      }
      if (namespaceMade) await runQuiet(ip, ['netns', 'del', name]);
      await runQuiet(ip, ['link', 'del', veth]); // normally gone with the namespace
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    await runStep(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
    await runStep(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', identityFile]);
    copyFileSync(`${identityFile}.pub`, join(dir, 'authorized_keys'));

    await runStep(ip, ['netns', 'add', name]);
    namespaceMade = true;
    await runStep(ip, ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    await runStep(ip, ['addr', 'add', `${gatewayAddress}/24`, 'dev', veth]);
    await runStep(ip, ['link', 'set', veth, 'up']);
    await runStep(ip, ['netns', 'exec', name, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    await runStep(ip, ['netns', 'exec', name, 'ip', 'link', 'set', 'eth0', 'up']);
    await runStep(ip, ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);

    const sshdArgs = ['-f', '/dev/null', '-E', logFile];
    for (const [k, v] of Object.entries({
      ListenAddress: address,
      Port: '22',
      HostKey: join(dir, 'host_ed25519'),
      AuthorizedKeysFile: join(dir, 'authorized_keys'),
      PidFile: pidFile,
      StrictModes: 'no',
      PermitRootLogin: 'prohibit-password',
      UsePAM: 'no',
      MaxStartups: '100:30:200',
      MaxSessions: '100',
    })) {
      sshdArgs.push('-o', `${k}=${v}`);
    }
    // sshd daemonizes: this returns once it has forked; its pid is then in the pid file.
    await runStep(
      ip,
      [
        'netns',
        'exec',
        name,
        unshare,
        '--uts',
        'sh',
        '-c',
        'hostname "$1" && shift && exec "$@"',
        'uts-wrap',
        hostname,
        sshd,
        ...sshdArgs,
      ],
      { logFile },
    );

    const probe = [
      '-i',
      identityFile,
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=2',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-n',
      `root@${address}`,
      'true',
    ];
    let last: StepOutput | undefined;
    const ready = await pollUntil(async () => {
      last = await runQuiet(ssh, probe, { timeoutMs: 5000 });
      return last.exitCode === 0;
    }, options.readyTimeoutMs ?? 15_000);
    if (!ready) {
      throw new FixtureError('NOT_READY', `ssh root@${address} true`, 'sshd never accepted a login', {
        logTail: `${last?.stderr ?? ''}\n${logTail(logFile)}`,
      });
    }
    const pid = readPidFile(pidFile);
    if (pid === undefined) {
      throw new FixtureError('NOT_READY', 'read sshd pid file', `${pidFile} holds no pid`, {
        logTail: logTail(logFile),
      });
    }
    return {
      name,
      hostname,
      address,
      gatewayAddress,
      port: 22,
      user: 'root',
      identityFile,
      knownHostsOptions: { StrictHostKeyChecking: 'no', UserKnownHostsFile: '/dev/null', LogLevel: 'ERROR' },
      dir,
      pid,
      exec: (program, args = []) => runQuiet(ip, ['netns', 'exec', name, program, ...args]),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A random 10.2xx.y prefix that no local interface address uses yet. */
async function pickSubnet(ip: string): Promise<string> {
  const { stdout } = await runStep(ip, ['-o', '-4', 'addr', 'show']);
  const used = new Set(
    [...stdout.matchAll(/inet (\d+\.\d+\.\d+)\.\d+\//g)].map((m) => m[1]).filter((s) => s !== undefined),
  );
  for (let attempt = 0; attempt < 1000; attempt++) {
    const prefix = `10.${randomInt(200, 255)}.${randomInt(0, 256)}`;
    if (!used.has(prefix)) return prefix;
  }
  throw new FixtureError('STEP_FAILED', 'pick a subnet', 'no free 10.2xx.y.0/24 subnet found');
}

/** Pids of every process in the namespace (`ip netns pids`). */
async function namespacePids(ip: string, name: string): Promise<number[]> {
  const { stdout } = await runQuiet(ip, ['netns', 'pids', name]);
  return parsePids(stdout);
}

/** The same, synchronously, for the exit handler. */
function namespacePidsSync(ip: string, name: string): number[] {
  try {
    return parsePids(execFileSync(ip, ['netns', 'pids', name], { encoding: 'utf8', stdio: 'pipe' }));
  } catch {
    return [];
  }
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}
