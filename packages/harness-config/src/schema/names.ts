import { basename } from 'node:path';

/** Name patterns, shared with the reference checks and the docs. */
export const NAMES = {
  stack: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  service: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
  host: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  port: /^[A-Za-z][A-Za-z0-9_-]*$/,
  variable: /^[A-Za-z_][A-Za-z0-9_]*$/,
  label: /^[A-Za-z0-9][A-Za-z0-9_./-]*$/,
} as const;

/** The name of a stack whose file gives none: its folder's name, made a valid stack name. */
export function defaultStackName(dir: string): string {
  const name = basename(dir)
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return NAMES.stack.test(name) ? name : 'stack';
}
