import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CommandError } from './errors.js';

/**
 * Checks the working folder and finds the program the way `execvp` would (PATH search for a
 * bare name, relative to the working folder for a path), so a mistake is a typed error that
 * names the program and the cause before anything is spawned.
 */
export function resolveProgram(program: string, path: string | undefined, cwd: string): string {
  if (program.includes('/')) {
    const full = isAbsolute(program) ? program : resolve(cwd, program);
    checkExecutable(program, full);
    return full;
  }
  let denied: string | undefined;
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const full = join(isAbsolute(dir) ? dir : resolve(cwd, dir), program);
    try {
      const st = statSync(full);
      if (!st.isFile()) continue;
      accessSync(full, constants.X_OK);
      return full;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') denied = full;
    }
  }
  if (denied !== undefined) {
    throw new CommandError(
      'EACCES_PROGRAM',
      `cannot run ${program}: ${denied} is not executable (permission denied)`,
      {
        program,
      },
    );
  }
  throw new CommandError('ENOENT_PROGRAM', `cannot run ${program}: no such program in PATH`, { program });
}

function checkExecutable(program: string, full: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(full);
  } catch (e) {
    throw new CommandError('ENOENT_PROGRAM', `cannot run ${program}: ${full} does not exist`, {
      program,
      cause: e,
    });
  }
  if (st.isDirectory()) {
    throw new CommandError('EACCES_PROGRAM', `cannot run ${program}: ${full} is a folder`, { program });
  }
  try {
    accessSync(full, constants.X_OK);
  } catch (e) {
    throw new CommandError(
      'EACCES_PROGRAM',
      `cannot run ${program}: ${full} is not executable (permission denied)`,
      {
        program,
        cause: e,
      },
    );
  }
}

/** Checks that the working folder exists and is a folder. */
export function checkCwd(program: string, cwd: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(cwd);
  } catch (e) {
    throw new CommandError('ENOENT_CWD', `cannot run ${program}: working folder ${cwd} does not exist`, {
      program,
      cause: e,
    });
  }
  if (!st.isDirectory()) {
    throw new CommandError('ENOENT_CWD', `cannot run ${program}: working folder ${cwd} is not a folder`, {
      program,
    });
  }
}
