/** The mask that replaces secret values. */
export const REDACTED = '[redacted]';

/**
 * Remembers every secret value a run sees and removes them from anything it emits or writes.
 * Values shorter than 4 characters are not registered (they would redact ordinary text).
 */
export class Redactor {
  private readonly values = new Set<string>();

  /** Register a value (and its line-by-line parts, for multi-line values such as PEM keys). */
  add(value: string): void {
    if (value.length < 4) return;
    this.values.add(value);
    for (const line of value.split(/\r?\n/)) if (line.length >= 16) this.values.add(line);
    // JSON-escaped form, as the value would appear inside serialised JSON.
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.values.add(escaped);
  }

  get size(): number {
    return this.values.size;
  }

  /** Replace every registered value in `text`. Longest first, so a value's parts never leave a tail. */
  text(text: string): string {
    if (this.values.size === 0 || text.length < 4) return text;
    let result = text;
    for (const value of [...this.values].sort((left, right) => right.length - left.length))
      if (result.includes(value)) result = result.split(value).join(REDACTED);
    return result;
  }

  /** Deep-copy a JSON-like value with every string redacted (object keys too). */
  value<T>(input: T): T {
    return this.walk(input, new WeakSet()) as T;
  }

  private walk(input: unknown, seen: WeakSet<object>): unknown {
    if (typeof input === 'string') return this.text(input);
    if (input === null || typeof input !== 'object') return input;
    // `seen` holds the ancestors only: an object shared by two fields is copied twice, a cycle is cut.
    if (seen.has(input)) return '[circular]';
    seen.add(input);
    try {
      if (Array.isArray(input)) return input.map((item) => this.walk(item, seen));
      if (input instanceof Error) return this.text(input.message);
      const output: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(input)) output[this.text(key)] = this.walk(value, seen);
      return output;
    } finally {
      seen.delete(input);
    }
  }
}
