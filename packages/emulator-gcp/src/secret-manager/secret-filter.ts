import { invalidArgument, type JsonObject } from '../rpc/rpc-error.js';

type Predicate = (resource: JsonObject) => boolean;

const termPattern = /^([a-zA-Z_][a-zA-Z0-9_.-]*)\s*(=|:)\s*(.+)$/;

function unquote(value: string): string {
  return value.replace(/^"(.*)"$/, '$1');
}

function valueAt(resource: JsonObject, path: string): string | undefined {
  let cursor: unknown = resource;
  for (const segment of path.split('.')) {
    if (typeof cursor !== 'object' || cursor === null) return undefined;
    cursor = (cursor as Record<string, unknown>)[segment];
  }
  return cursor === undefined || cursor === null ? undefined : String(cursor);
}

/**
 * The subset of List-operation filtering the emulator supports: conjunctions (`AND` or space) of
 * `field=value`, `field:value` (substring, `*` for presence) on `name`, `state` and `labels.KEY`.
 * Anything else (OR, NOT, parentheses, comparisons) is rejected with INVALID_ARGUMENT.
 */
export function compileFilter(filter: string): Predicate {
  const text = filter.trim();
  if (text === '') return () => true;
  if (/\b(OR|NOT)\b|[()<>]|^-/.test(text))
    throw invalidArgument(
      'filter',
      `Invalid filter: '${filter}'. The emulator supports only AND of field=value and field:value terms.`,
    );
  const terms = text.split(/\s+AND\s+|\s+/).map((term) => {
    const match = termPattern.exec(term);
    if (!match) throw invalidArgument('filter', `Invalid filter: '${filter}'.`);
    const [, field = '', operator, raw = ''] = match;
    if (field !== 'name' && field !== 'state' && !field.startsWith('labels.'))
      throw invalidArgument('filter', `Invalid filter: '${filter}'. Unsupported field '${field}'.`);
    const expected = unquote(raw);
    return (resource: JsonObject) => {
      const actual =
        field === 'name' ? valueAt(resource, 'name')?.split('/').pop() : valueAt(resource, field);
      if (actual === undefined) return false;
      if (operator === '=') return actual === expected;
      return expected === '*' || actual.includes(expected);
    };
  });
  return (resource) => terms.every((term) => term(resource));
}
