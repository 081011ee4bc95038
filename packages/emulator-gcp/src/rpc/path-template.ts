/**
 * `google.api.http` path templates, e.g. `/v2/{parent=projects/*\/locations/*}/services` or
 * `/v1/{name=projects/*\/secrets/*\/versions/*}:access`, compiled to matchers.
 */
export interface PathTemplate {
  /** The template as written in the proto. */
  readonly source: string;
  /** Match a request path; returns each variable (a dotted field path) with its decoded value. */
  match(path: string): Record<string, string> | undefined;
}

const variablePattern = /\{([a-zA-Z0-9_.]+)(?:=([^}]+))?\}/g;

function segmentPattern(pattern: string): string {
  return pattern
    .split('/')
    .map((segment) => {
      // `*` is one path segment; a custom verb (`:access`) never belongs to it.
      if (segment === '*') return '[^/:]+';
      if (segment === '**') return '[^:]+';
      return escapeRegExp(segment);
    })
    .join('/');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compile a template. Variable names are proto field paths (`service.name`). */
export function compilePathTemplate(source: string): PathTemplate {
  const names: string[] = [];
  let regex = '';
  let last = 0;
  for (const match of source.matchAll(variablePattern)) {
    regex += escapeRegExp(source.slice(last, match.index));
    names.push(match[1] ?? '');
    regex += `(${segmentPattern(match[2] ?? '*')})`;
    last = (match.index ?? 0) + match[0].length;
  }
  regex += escapeRegExp(source.slice(last));
  const compiled = new RegExp(`^${regex}$`);
  return {
    source,
    match(path) {
      const found = compiled.exec(path);
      if (!found) return undefined;
      const values: Record<string, string> = {};
      names.forEach((name, index) => {
        values[name] = (found[index + 1] ?? '').split('/').map(decodeURIComponent).join('/');
      });
      return values;
    },
  };
}
