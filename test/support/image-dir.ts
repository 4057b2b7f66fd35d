// The worker image as a directory, laid out like the Dockerfile's: dist/ built from a checkout's
// sources, its package.json and its dependencies. Tests and benchmarks run `dist/cli/main.js` from
// it, as the image does: the TypeScript sources' type stripping alone adds ~25 MiB of RSS and
// startup CPU that a deployed worker or operator does not have.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const built = new Map<string, string>();

/** Built once per process and checkout (this one by default, or another commit's, with node_modules). */
export function buildImageDir(checkout = ROOT): string {
  const cached = built.get(checkout);
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'syncjob-image-'));
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      path.join(dir, 'dist'),
    ],
    { cwd: checkout, stdio: 'inherit' },
  );
  execFileSync(process.execPath, [path.join(checkout, 'scripts/copy-assets.ts'), path.join(dir, 'dist')]);
  cpSync(path.join(checkout, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(checkout, 'node_modules'), path.join(dir, 'node_modules'));
  built.set(checkout, dir);
  return dir;
}
