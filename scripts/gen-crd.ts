// Writes crds/syncjob.yaml from the schema: `npx node scripts/gen-crd.ts`.
// test/unit/api/crd.test.ts fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { syncJobCrdYaml } from '../src/api/v1alpha1/crd.ts';

const file = new URL('../crds/syncjob.yaml', import.meta.url);
writeFileSync(file, syncJobCrdYaml());
process.stdout.write(`wrote ${file.pathname}\n`);
