import { join } from 'node:path';
import { LocalLauncher } from '@harness/command-executor';
import { DockerExecutor } from './docker-executor.js';
import type { ServiceExecutor } from './executor.js';
import { PackageExecutor } from './package-executor.js';
import { SshExecutor } from './ssh-executor.js';

/**
 * The executors a manager has besides the process one: docker, ssh and package. The ssh ones
 * learn host keys in `<stateDir>/known_hosts` (see {@link SshExecutor}).
 *
 * @example
 * const [docker, ssh, pkg] = remoteExecutors({ stateDir: '/var/lib/harness' });
 */
export function remoteExecutors(options: {
  readonly stateDir: string;
  readonly launcher?: LocalLauncher | undefined;
}): ServiceExecutor[] {
  const launcher = options.launcher ?? new LocalLauncher();
  const ssh = new SshExecutor({ launcher, knownHostsFile: join(options.stateDir, 'known_hosts') });
  return [new DockerExecutor({ launcher }), ssh, new PackageExecutor({ ssh })];
}
