import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { valueText } from '../../../src/format/dts-avro/render.ts';
import { type CliProcess, startCli } from '../../support/cli-process.ts';
import { createTopic, deleteTopics, produce, rootConnection } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { readTopic } from '../../support/topic-reader.ts';
import { casesFor } from '../../support/type-matrix-cases.ts';

// These run against MariaDB only.
const cases = casesFor('mariadb');

import { streamTypeMatrix } from '../../support/type-matrix-stream.ts';

// `syncjob decode` as a user runs it: a separate process reading what a real worker wrote, one JSON
// line per message.

const env = testEnv();

interface Line {
  partition: number;
  offset: string;
  operation: string;
  objectName: string;
  sourcePosition: string;
  sourceTxid: string;
  fields: { name: string; type: number; before: string | null; after: string | null }[];
}

/** Waits for the CLI to exit by itself; stops it and fails after the timeout. */
async function exitCode(cli: CliProcess, timeoutMs = 45_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([cli.exited, timeout]).finally(() => clearTimeout(timer));
  if (result === 'timeout') {
    await cli.stop();
    throw new Error(`syncjob decode did not exit in ${timeoutMs} ms; output:\n${cli.output()}`);
  }
  return result;
}

/** `syncjob decode --brokers <test broker> --topic <topic> <flags>` as a separate process. */
const decode = ([topic, ...flags]: string[]) =>
  startCli(['decode', '--brokers', env.kafka.brokers.join(','), '--topic', topic!, ...flags]);

describe('syncjob decode', () => {
  const database = uniqueName('dec').replace('-', '_');
  const topic = uniqueName('decode');
  let db: mysql.Connection;
  const rowCount = cases.reduce((sum, c) => sum + c.rows.length, 0);

  beforeAll(async () => {
    db = await rootConnection(env);
    await streamTypeMatrix(env, db, { database, topic }, async () => {
      await db.query(`UPDATE ${database}.integers SET biu = NULL WHERE id = 1`);
      await db.query(`DELETE FROM ${database}.charsets WHERE id = 1`);
      // Everything is in the topic before the CLI reads it.
      await readTopic(env.kafka.brokers, topic, rowCount + 2);
    });
  });

  afterAll(async () => {
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic]);
  });

  it('prints each record of the topic as one JSON line, with every cell as text', async () => {
    const count = rowCount + 2;
    const cli = decode([topic, '--from-beginning', '--max', String(count)]);
    // The JSON lines are stdout, and nothing else is printed: no warning of Node's or kafkajs's.
    expect(await exitCode(cli), cli.output()).toBe(0);
    const lines = cli
      .stdout()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
    expect(lines).toHaveLength(count);
    expect(cli.output()).toBe(cli.stdout());
    // Offsets increase; exactly-once writes leave gaps where Kafka keeps its transaction markers.
    const offsets = lines.map((l) => Number(l.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);

    expect(lines.map((l) => `${l.operation} ${l.objectName}`)).toEqual([
      ...cases.flatMap((c) => c.rows.map(() => `INSERT ${database}.${c.table}`)),
      `UPDATE ${database}.integers`,
      `DELETE ${database}.charsets`,
    ]);
    for (const l of lines) {
      // `<file>:<offset>@<gtid>`, the GTID being MariaDB's domain-server-sequence.
      expect(l.sourcePosition).toMatch(/^[\w.-]+\.\d{6}:\d+@\d+-\d+-\d+$/);
      expect(l.sourcePosition.endsWith(`@${l.sourceTxid}`)).toBe(true);
    }

    // Every inserted cell is the text of the fixture's DTS value.
    const inserts = lines.slice(0, rowCount);
    const expectedInserts = cases.flatMap((c) =>
      c.expected.map((row) =>
        row.map((cell, i) => ({ type: c.types[i], before: null, after: valueText(cell) })),
      ),
    );
    expect(inserts.map((l) => l.fields.map(({ type, before, after }) => ({ type, before, after })))).toEqual(
      expectedInserts,
    );

    // And a few, spelled out.
    const cell = (table: string, id: number, column: string) => {
      const line = inserts.find(
        (l) => l.objectName === `${database}.${table}` && l.fields[0]!.after === String(id),
      );
      return line?.fields.find((f) => f.name === column)?.after;
    };
    expect(cell('integers', 1, 'biu')).toBe('18446744073709551615');
    expect(cell('integers', 2, 'bi')).toBe('-9223372036854775808');
    expect(cell('integers', 1, 'b64')).toBe('18446744073709551615');
    expect(cell('fractions', 1, 'd65')).toBe(
      '99999999999999999999999999999999999.999999999999999999999999999999',
    );
    expect(cell('fractions', 4, 'd65')).toBe('-0.500000000000000000000000000000');
    expect(cell('fractions', 2, 'd')).toBe('-1.7976931348623157e+308');
    expect(cell('charsets', 1, 'l1')).toBe('café €');
    expect(cell('charsets', 1, 'g1')).toBe('中文');
    expect(cell('charsets', 1, 'gs')).toBe('中文,英文');
    expect(cell('strings', 1, 'lt')).toBe('long 😀');
    expect(cell('strings', 1, 'bn')).toBe('01000000');
    expect(cell('temporals', 1, 'dt6')).toBe('9999-12-31 23:59:59.999999');
    expect(cell('temporals', 2, 'dt6')).toBe('1000-01-01 00:00:00.000001');
    expect(cell('temporals', 1, 'ts6')).toBe('2038-01-19 03:14:07.999999');
    expect(cell('temporals', 2, 'ts')).toBe('1970-01-01 00:00:01');
    expect(cell('temporals', 3, 't6')).toBe('-01:02:03.000004');
    expect(cell('temporals', 2, 't1')).toBe('-838:59:58.900000');
    expect(cell('temporals', 4, 't1')).toBe('-00:00:00.500000');
    expect(cell('temporals', 3, 'd')).toBe('0000-00-00');
    expect(cell('temporals', 1, 'y')).toBe('2155');
    expect(cell('geometries', 1, 'p')).toBe('0101000000000000000000f8bf0000000000000000');
    const allNull = inserts.find(
      (l) => l.objectName === `${database}.integers` && l.fields[0]!.after === '4',
    )!;
    expect(allNull.fields.slice(1).map((f) => [f.before, f.after])).toEqual(
      allNull.fields.slice(1).map(() => [null, null]),
    );

    const [update, del] = lines.slice(rowCount);
    expect(update!.fields.find((f) => f.name === 'biu')).toEqual({
      name: 'biu',
      type: 8,
      before: '18446744073709551615',
      after: null,
    });
    expect(update!.fields.find((f) => f.name === 'tiu')).toEqual({
      name: 'tiu',
      type: 1,
      before: '255',
      after: '255',
    });
    expect(del!.fields.find((f) => f.name === 'l1')).toEqual({
      name: 'l1',
      type: 253,
      before: 'café €',
      after: null,
    });
  });

  it('with --from-beginning stops by itself at the end of the topic (transaction markers and all)', async () => {
    const cli = decode([topic, '--from-beginning']);
    expect(await exitCode(cli), cli.output()).toBe(0);
    expect(cli.stdout().trim().split('\n')).toHaveLength(rowCount + 2);
  });

  it('skips and counts messages that are not DTS-Avro, and --max beyond the end stops at the end', async () => {
    const mixed = uniqueName('decode-mixed');
    await createTopic(env, mixed, 1);
    try {
      const records = (await readTopic(env.kafka.brokers, topic, 3)).map((m) => encodeRecord(m.record));
      await produce(env, mixed, [
        { value: 'not avro at all' },
        { value: records[0]! },
        { value: records[1]! },
        { value: '{"version":1,"binlog":{}}' },
        { value: records[2]! },
      ]);
      const cli = decode([mixed, '--from-beginning', '--max', '20']);
      expect(await exitCode(cli), cli.output()).toBe(0);
      const lines = cli
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
      expect(lines.map((l) => l.offset)).toEqual(['1', '2', '4']);
      expect(cli.output()).toContain(
        'skipped 2 messages that are neither DTS-Avro nor Canal JSON records (the first at partition 0 offset 0)',
      );
    } finally {
      await deleteTopics(env, [mixed]);
    }
  });

  it('names the missing flag and exits with 2', async () => {
    const cli = startCli(['decode', '--brokers', env.kafka.brokers.join(',')]);
    expect(await exitCode(cli)).toBe(2);
    expect(cli.output()).toContain('--topic');
    expect(cli.output()).toContain('usage: syncjob decode');
  });

  it('rejects a --max that is not a positive integer with exit code 2', async () => {
    const cli = decode([topic, '--max', '0']);
    expect(await exitCode(cli)).toBe(2);
    expect(cli.output()).toContain('--max must be a positive integer, got "0"');
  });
});
