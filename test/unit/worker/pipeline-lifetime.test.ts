import { describe, expect, it } from 'vitest';
import { dtsAvroFormat } from '../../../src/format/dts-avro/format.ts';
import { integer } from '../../../src/format/dts-avro/values.ts';
import { createRootLogger } from '../../../src/log.ts';
import type { RecordSink } from '../../../src/sink/record-sink.ts';
import type { TableSchema } from '../../../src/source/row-change.ts';
import { createWorkerMetrics } from '../../../src/worker/metrics.ts';
import { createPipeline, PipelineStoppedError } from '../../../src/worker/pipeline.ts';
import { createWorkerReport } from '../../../src/worker/report.ts';
import { planRouting } from '../../../src/worker/routing.ts';

const table: TableSchema = {
  database: 'd',
  table: 't',
  columns: [
    {
      name: 'id',
      typeNumber: 3,
      sqlType: 'int',
      columnType: 'int(11)',
      unsigned: false,
      charset: null,
      precision: 11,
      scale: 0,
      nullable: false,
    },
  ],
  primaryKey: ['id'],
  uniqueKeys: {},
};

/** A sink whose first write fails once `fail()` is called: the broker went away. */
function failingSink() {
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  const sink: RecordSink = {
    connect: async () => undefined,
    partitions: async () => 1,
    write: () => failed,
    close: async () => undefined,
    lastFailure: () => null,
  };
  return { sink, fail: () => fail(new Error('the broker went away')) };
}

describe('the pipeline of one attempt', () => {
  it('stops its initializer when its sink fails: waiting for room rejects, no window opens after', async () => {
    const { sink, fail } = failingSink();
    const report = createWorkerReport();
    const pipeline = await createPipeline({
      routing: planRouting(
        [{ database: 'd', tables: [{ name: 't' }] }] as Parameters<typeof planRouting>[0],
        'topic',
      ),
      partitioning: 'primaryKey',
      sink,
      metrics: createWorkerMetrics({ job: 'lifetime' }, { lagSeconds: () => null, problems: () => [] }),
      logger: createRootLogger({ level: 'silent' }),
      format: dtsAvroFormat('test'),
      emitDdl: false,
      report,
      lag: report.lag,
      health: report.health,
      offsets: { topic: 'offsets', key: Buffer.from('ns/job') },
      resume: null,
      streamFrom: { file: 'binlog.000001', offset: 4 },
      gtidPos: undefined,
      serverId: 1,
      initialization: { tables: {}, initialized: [] },
      queueBytes: 4096,
      batchMaxRecords: 10,
      batchMaxBytes: 4096,
    });
    const running = pipeline.run();
    running.catch(() => undefined);
    // Fill the queue past its high-water mark while the first write hangs: the reader is paused
    // and initialization waits for room.
    let paused = false;
    pipeline.onBackPressure(
      () => {
        paused = true;
      },
      () => undefined,
    );
    for (let id = 1; !paused; id++) {
      const position = { file: 'binlog.000001', offset: 100 + id, gtid: '0-1-1', timestamp: 1 };
      pipeline.handler.change({
        operation: 'INSERT',
        table,
        before: null,
        after: [integer(11, String(id))],
        position,
      });
      pipeline.handler.commit(position, undefined);
    }
    const waiting = pipeline.room();
    let settled: 'resolved' | Error | undefined;
    waiting.then(
      () => {
        settled = 'resolved';
      },
      (err: Error) => {
        settled = err;
      },
    );

    fail();
    await expect(running).rejects.toThrow('the broker went away');
    pipeline.stop(); // what the worker does when its attempt ends
    await new Promise((r) => setImmediate(r));
    expect(settled).toBeInstanceOf(PipelineStoppedError);
    await expect(pipeline.room()).rejects.toBeInstanceOf(PipelineStoppedError);
    expect(() => pipeline.openWindow('d.t', [0])).toThrow(PipelineStoppedError);
  });
});
