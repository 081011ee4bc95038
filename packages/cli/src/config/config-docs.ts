/**
 * The config reference table of docs/cli.md, generated from `berthConfigSchema` (the schema is the
 * single source of truth; a unit test fails when the docs are stale).
 */
import type { z } from 'zod';
import { berthConfigSchema, documentedElsewhere } from './config-schema.js';
import { stateKinds } from './state-kinds.js';
import { targetKinds } from './target-kinds.js';

/** One row of the reference. */
export interface ConfigField {
  path: string;
  type: string;
  default?: string;
  description?: string;
  required: boolean;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Optional/default wrappers removed, with what they said. */
function unwrap(schema: z.ZodType): {
  inner: z.ZodType;
  optional: boolean;
  defaultValue?: unknown;
  description?: string;
} {
  let current = schema;
  let optional = false;
  let defaultValue: unknown;
  let description = schema.description;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'optional') optional = true;
    else if (def.type === 'default') {
      optional = true;
      defaultValue = def.defaultValue;
    } else break;
    current = def.innerType as z.ZodType;
    description ??= current.description;
  }
  return { inner: current, optional, defaultValue, ...(description ? { description } : {}) };
}

function typeName(schema: z.ZodType): string {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return 'object';
    case 'record':
      return `record of ${typeName(unwrap(def.valueType as z.ZodType).inner)}`;
    case 'array':
      return `${typeName(unwrap(def.element as z.ZodType).inner)}[]`;
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((value) => `\`${value}\``)
        .join(' | ');
    case 'union':
      return (def.options ?? [])
        .map((option) => {
          const inner = unwrap(option).inner;
          const shape = defOf(inner).shape;
          return defOf(inner).type === 'object' && shape
            ? `{ ${Object.keys(shape).join(', ')} }`
            : typeName(inner);
        })
        .join(' | ');
    case 'custom':
      return 'object (code)';
    default:
      return def.type;
  }
}

function walk(schema: z.ZodType, path: string, rows: ConfigField[], required: boolean): void {
  const { inner, optional, defaultValue, description } = unwrap(schema);
  const def = defOf(inner);
  if (path)
    rows.push({
      path,
      type: typeName(inner),
      required: required && !optional,
      ...(defaultValue !== undefined &&
      !(typeof defaultValue === 'object' && Object.keys(defaultValue as object).length === 0)
        ? { default: JSON.stringify(defaultValue) }
        : {}),
      ...(description ? { description } : {}),
    });
  if (documentedElsewhere.has(schema) || documentedElsewhere.has(inner)) return;
  if (def.type === 'object')
    for (const [key, field] of Object.entries(def.shape ?? {}))
      walk(field, path ? `${path}.${key}` : key, rows, true);
  else if (def.type === 'record') {
    const value = def.valueType as z.ZodType;
    const name = path.endsWith('services')
      ? '<service>'
      : path.endsWith('targets')
        ? '<target>'
        : path.endsWith('environments')
          ? '<environment>'
          : '<name>';
    if (['object', 'union'].includes(defOf(unwrap(value).inner).type) && !documentedElsewhere.has(value))
      walk(value, `${path}.${name}`, rows, false);
  } else if (def.type === 'union' && path)
    for (const option of def.options ?? [])
      if (defOf(option).type === 'object')
        for (const [key, field] of Object.entries(defOf(option).shape ?? {}))
          walk(field, `${path}.${key}`, rows, false);
}

/** Every field of the config, in schema order. */
export function configFields(): ConfigField[] {
  const rows: ConfigField[] = [];
  walk(berthConfigSchema, '', rows, true);
  return rows;
}

/** The config reference as a Markdown table. */
export function configReferenceMarkdown(): string {
  const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const field of configFields())
    lines.push(
      `| \`${field.path}\`${field.required ? ' (required)' : ''} | ${escapeCell(field.type)} | ${field.default ? `\`${escapeCell(field.default)}\`` : ''} | ${escapeCell(field.description ?? '')} |`,
    );
  return lines.join('\n');
}

/** The target-kind and state-kind registries as Markdown tables. */
export function kindsMarkdown(): string {
  const targets = Object.entries(targetKinds).map(
    ([name, kind]) =>
      `| \`${name}\` | \`${kind.package}\` | \`${kind.factory}\` | ${kind.description} | ${kind.credentials} | [${kind.docs.split('/').pop()}](${kind.docs.replace(/^docs\//, '')}) |`,
  );
  const states = Object.entries(stateKinds).map(
    ([name, kind]) => `| \`${name}\` | \`${kind.package}\` | ${kind.description} |`,
  );
  return [
    '### Target kinds',
    '',
    '| `kind` | Package | Factory | Deploys to | Credentials | Docs |',
    '| --- | --- | --- | --- | --- | --- |',
    ...targets,
    '',
    '### State-store kinds',
    '',
    '| `kind` | Package | Keeps state in |',
    '| --- | --- | --- |',
    ...states,
  ].join('\n');
}

/** Markers of the generated part of docs/cli.md. */
export const GENERATED_START =
  '<!-- generated from the config schema: pnpm --filter @berth/cli run write-docs -->';
export const GENERATED_END = '<!-- end of generated part -->';

/** The generated part of docs/cli.md, markers included. */
export function generatedDocs(): string {
  return `${GENERATED_START}\n\n${kindsMarkdown()}\n\n### Fields\n\n${configReferenceMarkdown()}\n\n${GENERATED_END}`;
}

/** `markdown` with its generated part replaced by the current one. */
export function withGeneratedDocs(markdown: string): string {
  const start = markdown.indexOf(GENERATED_START);
  const end = markdown.indexOf(GENERATED_END);
  if (start < 0 || end < start) throw new Error('docs/cli.md has no generated part markers');
  return markdown.slice(0, start) + generatedDocs() + markdown.slice(end + GENERATED_END.length);
}
