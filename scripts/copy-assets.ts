// tsc emits only JavaScript; the files the code reads at run time (the Avro schema) are copied
// beside it. Usage: node scripts/copy-assets.ts [OUT_DIR] (default dist).
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));
const out = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url));
cpSync(src, out, { recursive: true, filter: (from) => !from.endsWith('.ts') });
