import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A directory with exactly the jars of `artifacts` (`group:artifact:version`) and their runtime
 * dependencies, resolved by Maven from Maven Central and kept under the test services' cache, so
 * a second run reuses it; `java -cp '<dir>/*'` runs a consumer with them. A reader a user runs is
 * tested as published.
 */
export async function mavenClasspath(name: string, artifacts: readonly string[]): Promise<string> {
  const dir = path.join(
    process.env.SYNCJOB_CACHE ?? path.join(homedir(), '.cache/syncjob-operator'),
    'maven',
    name,
  );
  const libs = path.join(dir, 'libs');
  const marker = path.join(dir, 'artifacts.txt');
  const wanted = artifacts.join('\n');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return libs;
  mkdirSync(dir, { recursive: true });
  const dependencies = artifacts.map((a) => {
    const [groupId, artifactId, version] = a.split(':');
    return `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  });
  writeFileSync(
    path.join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>io.syncjob.test</groupId><artifactId>${name}</artifactId><version>1</version>
<dependencies>${dependencies.join('')}</dependencies></project>\n`,
  );
  await run(
    'mvn',
    ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
    { cwd: dir, timeout: 600_000 },
  );
  writeFileSync(marker, wanted);
  return libs;
}
