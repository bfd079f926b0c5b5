import { CommandError } from './errors.js';
import { shellJoin, shellQuote } from './quote.js';

/** What the child's standard input is: nothing (`/dev/null`), a pipe we write to, or ours. */
export type StdinMode = 'null' | 'pipe' | 'inherit';

/** The fields of a {@link Command}; everything but `program` is optional. */
export interface CommandSpec {
  readonly program: string;
  readonly args?: readonly string[];
  /** Variables added to (or, with `inheritEnv: false`, forming) the child's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Whether the child starts from the launcher's environment (default true). */
  readonly inheritEnv?: boolean;
  readonly cwd?: string;
  readonly stdin?: StdinMode;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A command to run: immutable data, nothing runs until a launcher is given it.
 * Every `with…` method returns a new Command.
 *
 * @example
 * const cmd = Command.of('sh', '-c', 'echo $GREETING').withEnv({ GREETING: 'hi' });
 * cmd.display() // => "GREETING=hi sh -c 'echo $GREETING'"
 */
export class Command {
  readonly program: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly inheritEnv: boolean;
  readonly cwd: string | undefined;
  readonly stdin: StdinMode;

  constructor(spec: CommandSpec) {
    if (typeof spec.program !== 'string' || spec.program === '') {
      throw new CommandError('INVALID_COMMAND', 'a command needs a non-empty program name');
    }
    const args = [...(spec.args ?? [])];
    for (const [i, a] of args.entries()) {
      if (typeof a !== 'string') {
        throw new CommandError('INVALID_COMMAND', `argument ${i} of ${spec.program} is not a string`, {
          program: spec.program,
        });
      }
      if (a.includes('\0')) {
        throw new CommandError('INVALID_COMMAND', `argument ${i} of ${spec.program} contains a NUL byte`, {
          program: spec.program,
        });
      }
    }
    const env: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(spec.env ?? {})) {
      if (!ENV_NAME.test(k)) {
        throw new CommandError(
          'INVALID_COMMAND',
          `environment variable name ${JSON.stringify(k)} is not valid`,
          {
            program: spec.program,
          },
        );
      }
      if (typeof v !== 'string' || v.includes('\0')) {
        throw new CommandError('INVALID_COMMAND', `environment variable ${k} must be a string without NUL`, {
          program: spec.program,
        });
      }
      env[k] = v;
    }
    this.program = spec.program;
    this.args = Object.freeze(args);
    this.env = Object.freeze(env);
    this.inheritEnv = spec.inheritEnv ?? true;
    this.cwd = spec.cwd;
    this.stdin = spec.stdin ?? 'null';
    Object.freeze(this);
  }

  /** A command from a program and its arguments. */
  static of(program: string, ...args: string[]): Command {
    return new Command({ program, args });
  }

  /** A command that runs `script` with `sh -c`. */
  static shell(script: string): Command {
    return new Command({ program: 'sh', args: ['-c', script] });
  }

  /** The fields as plain data. */
  toSpec(): Required<Omit<CommandSpec, 'cwd'>> & { cwd: string | undefined } {
    return {
      program: this.program,
      args: this.args,
      env: this.env,
      inheritEnv: this.inheritEnv,
      cwd: this.cwd,
      stdin: this.stdin,
    };
  }

  /** A copy with some fields replaced. */
  with(changes: Partial<CommandSpec>): Command {
    return new Command({ ...this.toSpec(), ...changes });
  }

  /** A copy with more arguments at the end. */
  withArgs(...args: string[]): Command {
    return this.with({ args: [...this.args, ...args] });
  }

  /** A copy with these variables added (later values win). */
  withEnv(env: Readonly<Record<string, string>>): Command {
    return this.with({ env: { ...this.env, ...env } });
  }

  withCwd(cwd: string | undefined): Command {
    return this.with({ cwd });
  }

  withStdin(stdin: StdinMode): Command {
    return this.with({ stdin });
  }

  /** `[program, ...args]`. */
  argv(): string[] {
    return [this.program, ...this.args];
  }

  /**
   * The command as one shell line a person can paste: `cd DIR && VAR=value program args`,
   * every part quoted so a POSIX shell reads back exactly these bytes.
   */
  display(): string {
    const parts: string[] = [];
    if (!this.inheritEnv) parts.push('env -i');
    for (const [k, v] of Object.entries(this.env)) parts.push(`${k}=${shellQuote(v)}`);
    parts.push(shellJoin(this.argv()));
    const line = parts.join(' ');
    return this.cwd === undefined ? line : `cd ${shellQuote(this.cwd)} && ${line}`;
  }

  toString(): string {
    return this.display();
  }
}
