import { parseDockerPort, parseVolume } from './docker-values.js';
import { boolean, duration, number, oneOf, scalarText, size, string, text } from './scalars.js';
import { INVALID, type Infer, optional, required, type Schema } from './schema.js';
import { byKind, list, located, object, record, refine } from './structures.js';

import { NAMES } from './names.js';

export { NAMES };

export const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
export const CONDITIONS = ['started', 'healthy', 'completed'] as const;
export const NETWORKS = ['local', 'lan', 'wireguard'] as const;
export const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGUSR2'] as const;

const serviceName = string({ pattern: { regex: NAMES.service, expected: 'a service name' } });
const command = byKind({ scalar: text(), seq: list(scalarText({ allowRefs: true }), { minItems: 1 }) });
const env = record(scalarText({ allowRefs: true }), { regex: NAMES.variable, what: 'variable name' });
const envFiles = byKind({ scalar: string(), seq: list(string()) });
const serviceEnvFiles = byKind({ scalar: located(string()), seq: list(located(string())) });

const regex = refine(string(), (value, node, path, diag) => {
  try {
    new RegExp(value);
    return value;
  } catch (error) {
    diag.report({
      code: 'INVALID_REGEX',
      range: node.range,
      path,
      message: `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
    });
    return INVALID;
  }
});

const url = refine(text(), (value, node, path, diag) => {
  if (typeof value === 'string' && !/^https?:\/\/[^/\s]+/.test(value)) {
    diag.report({
      code: 'INVALID_VALUE',
      range: node.range,
      path,
      message: `${JSON.stringify(value)} is not an http:// or https:// URL`,
      hint: 'e.g. `http://127.0.0.1:8080/health`',
    });
    return INVALID;
  }
  return value;
});

/** A TCP probe address: a port (`5432`, meaning 127.0.0.1) or `host:port`. */
const tcpAddress: Schema<number | Infer<ReturnType<typeof text>>> = {
  expected: 'a port or `host:port`',
  check(node, path, diag, owner) {
    if (node.kind === 'scalar' && typeof node.value === 'number') {
      return number({ integer: true, min: 1, max: 65535 }).check(node, path, diag, owner);
    }
    const value = text().check(node, path, diag, owner);
    if (value === INVALID) return INVALID;
    if (typeof value === 'string' && !/^.+:\d+$/.test(value)) {
      if (/^\d+$/.test(value)) return Number(value);
      diag.report({
        code: 'INVALID_VALUE',
        range: node.range,
        path,
        message: `${JSON.stringify(value)} is not \`host:port\``,
      });
      return INVALID;
    }
    return value;
  },
  json: () => ({
    anyOf: [
      { type: 'integer', minimum: 1, maximum: 65535 },
      { type: 'string', minLength: 1 },
    ],
  }),
};

function probe(kind: 'readiness' | 'liveness') {
  const interval = kind === 'readiness' ? '1s' : '10s';
  return object(
    {
      exec: optional(command, 'Run a command; exit status 0 passes. A string runs through `sh -c`.'),
      http: optional(url, 'GET this URL; a 2xx or 3xx status passes.'),
      tcp: optional(tcpAddress, 'Open a TCP connection to `host:port` (a bare port means 127.0.0.1).'),
      log: optional(
        regex,
        kind === 'readiness'
          ? 'A regular expression; passes when a line of the service output matches.'
          : 'A regular expression; each matching output line counts as a failed check.',
      ),
      interval: optional(duration(), 'Time between checks (the first check runs at once).', interval),
      timeout: optional(duration(), 'How long one check may take (default: exec 5s, http 2s, tcp 1s).'),
      retries: optional(
        number({ integer: true, min: 1 }),
        'Consecutive failed checks, after `start_period`, before the service counts as unhealthy.',
        kind === 'readiness' ? 30 : 3,
      ),
      start_period: optional(duration(), 'Failures during this time after start do not count.', '0s'),
    },
    {
      exactlyOne: {
        keys: ['exec', 'http', 'tcp', 'log'],
        what: 'probe kind',
        missing: 'PROBE_MISSING',
        conflict: 'PROBE_CONFLICT',
      },
    },
  );
}

const restartObject = object({
  policy: optional(oneOf(RESTART_POLICIES, 'a restart policy'), 'When to restart the service.', 'on-failure'),
  max_restarts: optional(
    number({ integer: true, min: 0 }),
    'Restarts allowed before the service is `failed`.',
    10,
  ),
  backoff: optional(
    object({
      initial: optional(duration(), 'Delay before the first restart.', '100ms'),
      max: optional(duration(), 'Longest delay between restarts.', '30s'),
      factor: optional(number({ min: 1 }), 'Each delay is the previous one times this.', 2),
      jitter: optional(
        number({ min: 0, max: 1 }),
        'Random spread, as a fraction of the delay (0.2 = ±20%).',
        0.2,
      ),
    }),
    'Exponential backoff between restarts.',
  ),
  reset_after: optional(
    duration(),
    'After running this long, the restart count and backoff start over.',
    '60s',
  ),
});

const restart = byKind({ scalar: oneOf(RESTART_POLICIES, 'a restart policy'), map: restartObject });

const processTarget = object({
  command: required(
    command,
    'A string (run through `sh -c`) or a list (program and arguments, run directly).',
  ),
  cwd: optional(string(), 'Working folder, relative to the configuration file.', '.'),
  env: optional(env, 'Environment variables for the process.'),
  env_file: optional(serviceEnvFiles, 'Env file(s) whose variables are passed to the process.'),
});

const dockerTarget = object({
  image: required(string(), 'The image, e.g. `redis:7`.'),
  command: optional(command, "Overrides the image's command."),
  ports: optional(
    list(parseDockerPort),
    'Published ports: `"HOST:CONTAINER"`, `"IP:HOST:CONTAINER/udp"` or `CONTAINER`.',
  ),
  volumes: optional(list(parseVolume), 'Mounts: `"SOURCE:TARGET"` or `"SOURCE:TARGET:ro"`.'),
  env: optional(env, 'Environment variables for the container.'),
  network: optional(string(), 'Docker network to join.'),
});

const sshTarget = object({
  host: required(located(string()), 'A name from `hosts`.'),
  command: required(command, 'The command to run on the host.'),
  cwd: optional(string(), 'Working folder on the host.'),
  env: optional(env, 'Environment variables for the remote command.'),
});

const packageTarget = object({
  path: required(string(), 'The package (archive or folder) to deploy, relative to the configuration file.'),
  host: required(located(string()), 'A name from `hosts`.'),
  via: optional(
    oneOf(NETWORKS, 'a network'),
    "The network to reach the host over (default: the host's `network`).",
  ),
  install: optional(command, 'Runs once on the host after the package is copied.'),
  start: required(command, 'Starts the service on the host.'),
});

const dependsOn = byKind({
  seq: list(located(serviceName)),
  map: record(located(oneOf(CONDITIONS, 'a dependency condition')), {
    regex: NAMES.service,
    what: 'service name',
  }),
});

const service = object(
  {
    description: optional(string(), 'What the service is, for people.'),
    disabled: optional(boolean(), 'Not started unless named, or needed by a service that starts.', false),
    process: optional(processTarget, 'Run a local process.'),
    docker: optional(dockerTarget, 'Run a Docker container.'),
    ssh: optional(sshTarget, 'Run a command on a host over SSH.'),
    package: optional(packageTarget, 'Deploy a package to a host and start it there.'),
    ports: optional(
      record(number({ integer: true, min: 1, max: 65535 }), { regex: NAMES.port, what: 'port name' }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, written literally
      'Named endpoints, e.g. `{ http: 8080 }`; referenced as `${services.NAME.ports.http}`.',
    ),
    depends_on: optional(
      dependsOn,
      'Services to start first: a list (condition `started`) or `NAME: condition`.',
    ),
    readiness: optional(probe('readiness'), 'Decides when the service is ready (`healthy`).'),
    liveness: optional(probe('liveness'), 'Watches a ready service; failures restart it per `restart`.'),
    restart: optional(restart, 'A policy (`always`, `on-failure`, `never`) or the full form.', 'on-failure'),
    shutdown: optional(
      object({
        signal: optional(oneOf(SIGNALS, 'a signal'), 'The signal asking the service to stop.', 'SIGTERM'),
        timeout: optional(duration(), 'How long to wait before SIGKILL.', '10s'),
      }),
      'How the service is stopped.',
    ),
    replicas: optional(number({ integer: true, min: 1 }), 'How many instances to run.', 1),
    logs: optional(
      object({
        max_size: optional(
          size({ zero: 'no rotation' }),
          'Size at which the log file is rotated: bytes, or `512KiB`, `10MiB`, `1GiB` (powers of 1024), `100kB`, `5MB`, `1GB` (powers of 1000). `0` turns rotation off.',
          '10MiB',
        ),
        keep: optional(
          number({ integer: true, min: 0 }),
          'Rotated files kept (`x.log.1` … `x.log.N`); 0 keeps none.',
          3,
        ),
      }),
      "Rotation of each instance's log file (stdout and stderr).",
    ),
  },
  {
    extensions: true,
    misplaced: {
      command: 'a command goes inside the target, e.g. `process: { command: … }`',
      env: '`env` goes inside the target, e.g. `process: { env: … }`',
      env_file: '`env_file` goes inside `process:`',
      image: '`image` goes inside `docker:`, e.g. `docker: { image: redis:7 }`',
      cwd: '`cwd` goes inside the target, e.g. `process: { cwd: … }`',
      host: '`host` goes inside `ssh:` or `package:`',
      healthcheck: 'use `readiness:` (gates dependents) or `liveness:` (restarts)',
      environment: '`env` goes inside the target, e.g. `process: { env: … }`',
      max_size: '`max_size` goes inside `logs:`, e.g. `logs: { max_size: 10MiB }`',
      logging: 'use `logs: { max_size: …, keep: … }`',
    },
    exactlyOne: {
      keys: ['process', 'docker', 'ssh', 'package'],
      what: 'target',
      missing: 'TARGET_MISSING',
      conflict: 'TARGET_CONFLICT',
    },
  },
);

const host = object({
  address: required(string(), 'IP address or DNS name.'),
  user: optional(string(), 'SSH user (default: the SSH default).'),
  port: optional(number({ integer: true, min: 1, max: 65535 }), 'SSH port.', 22),
  identity_file: optional(string(), 'SSH private key; `~/` is the home folder.'),
  network: optional(oneOf(NETWORKS, 'a network'), 'How the host is reached.', 'lan'),
  labels: optional(
    record(scalarText({ allowRefs: false }), { regex: NAMES.label, what: 'label' }),
    'Free-form labels.',
  ),
});

/** The schema of a whole harness.yaml: the one source of the validator and the JSON Schema. */
export const harnessSchema = object(
  {
    name: optional(
      string({ pattern: { regex: NAMES.stack, expected: 'a stack name (letters, digits, `_`, `.`, `-`)' } }),
      "The stack's name (default: the configuration file's folder name).",
    ),
    env_file: optional(envFiles, 'Env file(s) providing variables for interpolation.'),
    env: optional(
      record(scalarText({ allowRefs: false }), { regex: NAMES.variable, what: 'variable name' }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, written literally
      'Stack variables with default values: usable in `${…}` and passed to every service.',
    ),
    hosts: optional(record(host, { regex: NAMES.host, what: 'host name' }), 'Machines services run on.'),
    services: required(
      record(service, { regex: NAMES.service, what: 'service name' }),
      'The services of the stack.',
    ),
  },
  { extensions: true, description: 'A Harness stack.' },
);

/** A checked harness.yaml, before defaults are filled in. */
export type RawConfig = Infer<typeof harnessSchema>;
export type RawService = Infer<typeof service>;
export type RawProbe = Infer<ReturnType<typeof probe>>;
export type RawHost = Infer<typeof host>;
export type RawCommand = Infer<typeof command>;
