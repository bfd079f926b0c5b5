/** One thing wrong with a frame's params: where (`params.stack.services[0].name`) and what. */
export interface ParamProblem {
  readonly path: string;
  readonly message: string;
}

/** What a host name may look like (the worker's `host` option and the `host` param). */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Collects problems while a value is checked field by field (internal). */
export class ShapeCheck {
  readonly problems: ParamProblem[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  }

  /** Flags keys of `obj` outside `allowed`. */
  onlyKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        const known = allowed.length === 0 ? 'none' : allowed.join(', ');
        this.problem(`${path}.${key}`, `unknown field (known: ${known})`);
      }
    }
  }

  string(obj: Record<string, unknown>, path: string, key: string, required: boolean, max = 1000): void {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(`${path}.${key}`, 'is required (a non-empty string)');
      return;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.problem(`${path}.${key}`, `must be a non-empty string, got ${describe(v)}`);
    } else if (v.length > max) {
      this.problem(`${path}.${key}`, `must be at most ${max} characters, got ${v.length}`);
    }
  }

  /** A host name: 1–128 letters, digits, `_`, `.` or `-`, starting with a letter or digit. */
  hostName(obj: Record<string, unknown>, path: string, key: string, required: boolean): void {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(`${path}.${key}`, 'is required (a host name)');
      return;
    }
    if (typeof v !== 'string' || !HOST_NAME.test(v)) {
      this.problem(
        `${path}.${key}`,
        `must be a host name (1-128 letters, digits, "_", "." or "-", starting with a letter or digit), got ${describe(v)}`,
      );
    }
  }

  boolean(obj: Record<string, unknown>, path: string, key: string): void {
    const v = obj[key];
    if (v !== undefined && typeof v !== 'boolean') {
      this.problem(`${path}.${key}`, `must be true or false, got ${describe(v)}`);
    }
  }

  count(obj: Record<string, unknown>, path: string, key: string, max: number): void {
    const v = obj[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
      this.problem(`${path}.${key}`, `must be an integer from 0 to ${max}, got ${describe(v)}`);
    }
  }

  strings(
    obj: Record<string, unknown>,
    path: string,
    key: string,
    required: boolean,
    nonEmpty: boolean,
  ): void {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(`${path}.${key}`, 'is required (an array of service names)');
      return;
    }
    if (!Array.isArray(v)) {
      this.problem(`${path}.${key}`, `must be an array of strings, got ${describe(v)}`);
      return;
    }
    if (nonEmpty && v.length === 0) this.problem(`${path}.${key}`, 'must name at least one service');
    v.forEach((item, i) => {
      if (typeof item !== 'string' || item.length === 0) {
        this.problem(`${path}.${key}[${i}]`, `must be a non-empty string, got ${describe(item)}`);
      }
    });
  }
}

/** A short description of a value for error messages: its JSON (cut at 40 chars) or its type. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const json = JSON.stringify(value) ?? typeof value;
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}
