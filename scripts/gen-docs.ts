// Writes docs/configuration.md from the schema: `npx node scripts/gen-docs.ts`.
// test/unit/api/configuration-doc.test.ts fails when the committed file differs from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { configurationReference } from '../src/api/v1alpha1/configuration-doc.ts';

const file = new URL('../docs/configuration.md', import.meta.url);
mkdirSync(new URL('.', file), { recursive: true });
writeFileSync(file, configurationReference());
process.stdout.write(`wrote ${file.pathname}\n`);
