// `syncjob decode`: prints the records of a topic as JSON lines, one per Kafka message, in either
// format a job writes: DTS-Avro with every field's before/after value as the text a DTS consumer
// shows, Canal JSON as it is. Messages that are neither (another producer's, a job's offsets) are
// skipped and counted, never fatal.
import { parseCanalRecord } from '../format/canal-json/record.ts';
import { decodeRecord } from '../format/dts-avro/codec.ts';
import { renderRecord } from '../format/dts-avro/render.ts';
import { Kafka, logLevel } from '../kafka/kafkajs.ts';
import { scanTopic } from '../kafka/topic-scan.ts';
import { parseFlags, positiveInt } from './args.ts';

const USAGE = `usage: syncjob decode --brokers HOST:PORT[,HOST:PORT] --topic TOPIC [--from-beginning [--follow]] [--max N] [--idle-seconds S]
  --from-beginning   read the topic from its start, up to its end as it is now, then stop
  --follow           with --from-beginning: keep reading new messages after the end
                     (without --from-beginning decode always follows: only new messages)
  --max N            stop after N records
  --idle-seconds S   stop after S seconds without a message`;

export async function decodeCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      brokers: { type: 'string' },
      topic: { type: 'string' },
      'from-beginning': { type: 'boolean', default: false },
      follow: { type: 'boolean', default: false },
      max: { type: 'string' },
      'idle-seconds': { type: 'string' },
    },
    USAGE,
  );
  if (!flags.brokers || !flags.topic) {
    err.write(`--brokers and --topic are required\n\n${USAGE}\n`);
    return 2;
  }
  const max = positiveInt(flags.max, '--max');
  const idleSeconds = positiveInt(flags['idle-seconds'], '--idle-seconds');
  const kafka = new Kafka({
    clientId: 'syncjob-decode',
    brokers: flags.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });

  const stop = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (idleSeconds === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => stop.abort(), idleSeconds * 1000);
  };
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  armIdle();

  let printed = 0;
  let skipped = 0;
  let firstSkipped = '';
  try {
    await scanTopic({
      kafka,
      topic: flags.topic,
      fromBeginning: flags['from-beginning'],
      untilEnd: flags['from-beginning'] && !flags.follow,
      signal: stop.signal,
      onMessage(partition, message) {
        armIdle();
        let line: object;
        if (message.value === null) {
          line = { partition, offset: message.offset, tombstone: true };
        } else {
          try {
            line = {
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              ...decoded(message.value),
            };
          } catch {
            if (skipped++ === 0) firstSkipped = `partition ${partition} offset ${message.offset}`;
            return true;
          }
        }
        out.write(`${JSON.stringify(line)}\n`);
        printed++;
        return max === undefined || printed < max;
      },
    });
  } finally {
    clearTimeout(idle);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (skipped > 0) {
    err.write(
      `skipped ${skipped} messages that are neither DTS-Avro nor Canal JSON records (the first at ${firstSkipped})\n`,
    );
  }
  return 0;
}

/** The record as printed: its format, then its fields. Throws when it is in neither format. */
function decoded(value: Buffer): object {
  if (value[0] === 0x7b) return { format: 'canal-json', ...parseCanalRecord(value) };
  return { format: 'dts-avro', ...renderRecord(decodeRecord(value)) };
}
