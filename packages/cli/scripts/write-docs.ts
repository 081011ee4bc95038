/** Rewrite the generated part of docs/cli.md (config reference, target and state kinds) from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withGeneratedDocs } from '../src/config/config-docs.js';

const file = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));
writeFileSync(file, withGeneratedDocs(readFileSync(file, 'utf8')));
console.log(`wrote ${file}`);
