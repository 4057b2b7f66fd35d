// What a test's services and processes said, kept out of the test output and printed only when a
// test of the file fails (test/support/per-file-setup.ts). Each source keeps a bounded tail, so a
// chatty process cannot grow the test's memory.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const TAIL_BYTES = 64 * 1024;
const sources = new Map<string, () => string>();

/** A bounded text buffer: the last `maxBytes` of what was written. */
export function createTail(maxBytes = TAIL_BYTES) {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      if (text.length > 2 * maxBytes) text = text.slice(-maxBytes);
    },
    text: () => text.slice(-maxBytes),
  };
}

/** Registers a source of output under `name` (a process's output, a logger's tail). */
export function showOnFailure(name: string, text: () => string): void {
  let unique = name;
  for (let i = 2; sources.has(unique); i++) unique = `${name} #${i}`;
  sources.set(unique, text);
}

/** Every log file in `dir` (the kubelet stand-in's pod logs, say), read when a test fails. */
export function showDirOnFailure(name: string, dir: string): void {
  showOnFailure(name, () => {
    if (!existsSync(dir)) return '';
    return readdirSync(dir)
      .filter((f) => statSync(path.join(dir, f)).isFile())
      .map((f) => `--- ${f}\n${tailOfFile(path.join(dir, f))}`)
      .join('\n');
  });
}

function tailOfFile(file: string): string {
  const text = readFileSync(file, 'utf8');
  return text.slice(-TAIL_BYTES);
}

/** The registered output, for a failed test's report. */
export function failureOutput(): string {
  const parts: string[] = [];
  for (const [name, text] of sources) {
    const body = text().trimEnd();
    if (body !== '') parts.push(`===== ${name} (tail) =====\n${body}`);
  }
  return parts.join('\n');
}
