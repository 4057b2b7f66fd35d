// `syncjob decode`: prints the DTS-Avro records of a topic as JSON lines, one per Kafka message,
// with every field's before/after value as the text a DTS consumer shows.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecord } from '../format/dts-avro/codec.ts';
import { renderRecord } from '../format/dts-avro/render.ts';
import { parseFlags, positiveInt } from './args.ts';

const USAGE = `usage: syncjob decode --brokers HOST:PORT[,HOST:PORT] --topic TOPIC [--from-beginning] [--max N] [--idle-seconds S]
  --from-beginning   read the topic from its start (default: only new messages)
  --max N            stop after N messages
  --idle-seconds S   stop after S seconds without a message`;

export async function decodeCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      brokers: { type: 'string' },
      topic: { type: 'string' },
      'from-beginning': { type: 'boolean', default: false },
      max: { type: 'string' },
      'idle-seconds': { type: 'string' },
    },
    USAGE,
  );
  if (!flags.brokers || !flags.topic) {
    process.stderr.write(`--brokers and --topic are required\n\n${USAGE}\n`);
    return 2;
  }
  const max = positiveInt(flags.max, '--max');
  const idleSeconds = positiveInt(flags['idle-seconds'], '--idle-seconds');
  const kafka = new Kafka({
    clientId: 'syncjob-decode',
    brokers: flags.brokers.split(','),
    logLevel: logLevel.ERROR,
  });
  // A throwaway group that never commits: decoding is read-only for the topic's real consumers.
  const consumer = kafka.consumer({
    groupId: `syncjob-decode-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
  });
  await consumer.connect();
  let count = 0;
  try {
    await consumer.subscribe({ topic: flags.topic, fromBeginning: flags['from-beginning'] });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const armIdle = () => {
        if (idleSeconds === undefined) return;
        clearTimeout(idle);
        idle = setTimeout(resolve, idleSeconds * 1000);
      };
      armIdle();
      const stop = () => {
        clearTimeout(idle);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (max !== undefined && count >= max) return;
            armIdle();
            const line = message.value
              ? {
                  partition,
                  offset: message.offset,
                  key: message.key?.toString() ?? null,
                  ...renderRecord(decodeRecord(message.value)),
                }
              : { partition, offset: message.offset, tombstone: true };
            out.write(`${JSON.stringify(line)}\n`);
            count++;
            if (max !== undefined && count >= max) stop();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return 0;
}
