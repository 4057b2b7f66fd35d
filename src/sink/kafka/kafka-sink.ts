// The Kafka sink (librdkafka). With a transactional id every write is one Kafka transaction holding
// the records and the offset that covers them: exactly-once, and a second worker of the same job
// fences the first. Without one (Kafka 0.10), the offset is written after the records are
// acknowledged: at-least-once, replaying at most the last batch.
import { ConfigError, SyncError } from '../../errors.ts';
import { createTopicCommand } from '../../kafka/cli-commands.ts';
import type { KafkaClientOptions } from '../../kafka/client.ts';
import {
  connectionConfig,
  type LibrdKafkaError,
  Producer,
  type ProducerGlobalConfig,
  rdkafkaError,
  rdkafkaErrorName,
  rdkafkaEventName,
} from '../../kafka/rdkafka.ts';
import type { RecordSink, SinkMessage } from '../record-sink.ts';
import { classifyConnectError, classifySendError } from './kafka-errors.ts';

export type Acks = 'all' | 'leader' | 'none';
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KafkaSinkOptions {
  /** Brokers, SASL, TLS, client id and logger: the same options the job's kafkajs client gets. */
  client: KafkaClientOptions;
  acks: Acks;
  compression: Compression;
  /** Idempotent producer (no duplicates on retry); needs brokers 0.11+ and acks=all. */
  idempotent: boolean;
  /** Transactions (exactly-once); needs brokers 0.11+, implies idempotent. */
  transactionalId?: string;
}

const ACKS: Record<Acks, number> = { all: -1, leader: 1, none: 0 };

// How long one call into the transaction coordinator or the brokers may take before the attempt
// fails (and the worker retries it from the last committed offset).
const CALL_TIMEOUT_MS = 60_000;
// The first metadata request. Kept short: until it ends, close() cannot (a refused login ends the
// wait for connect() at once, but not the request); a broker that is down fails the attempt,
// which the worker retries with backoff.
const CONNECT_TIMEOUT_MS = 10_000;
// A complaint of the client older than this says nothing about a write waiting now.
const RECENT_FAILURE_MS = 30_000;
// Errors librdkafka reports while connecting that no wait fixes.
const CONNECT_TERMINAL = new Set(['_AUTHENTICATION', '_SSL']);

/** The error name of a fatal error, from the text librdkafka logged for it. */
const fatalName = (text: string): string =>
  /fenced/i.test(text)
    ? '_FENCED'
    : /not supported by broker/i.test(text)
      ? '_UNSUPPORTED_FEATURE'
      : '_FATAL';

function largestRecord(messages: readonly SinkMessage[]) {
  let largest: { topic: string; bytes: number } | null = null;
  for (const m of messages) {
    const bytes = m.value.length + (m.key?.length ?? 0);
    if (!largest || bytes > largest.bytes) largest = { topic: m.topic, bytes };
  }
  return largest;
}

/** A callback-style librdkafka call as a promise. */
const call = (start: (done: (err: LibrdKafkaError | null | undefined) => void) => void) =>
  new Promise<void>((resolve, reject) => start((err) => (err ? reject(err) : resolve())));

export function createKafkaSink(opts: KafkaSinkOptions): RecordSink {
  const idempotent = opts.idempotent || opts.transactionalId !== undefined;
  if (idempotent && opts.acks !== 'all') {
    throw new ConfigError('exactly-once and idempotent writes need target.acks all', 'set target.acks: all');
  }
  const { client } = opts;
  const transactional = opts.transactionalId !== undefined;
  const config: ProducerGlobalConfig = {
    ...connectionConfig(client),
    'compression.codec': opts.compression,
    'enable.idempotence': idempotent,
    // A plain producer keeps a partition's order across retries with one request in flight; the
    // idempotent one does so with up to five (its sequence numbers order them).
    'max.in.flight.requests.per.connection': idempotent ? 5 : 1,
    // The broker decides what is too large (the topic's max.message.bytes); refused records become
    // RecordTooLarge with the command that raises it, not a client-side limit the fix cannot reach.
    'message.max.bytes': 1_000_000_000,
    'allow.auto.create.topics': false,
    'linger.ms': 5,
    // CONCURRENT_TRANSACTIONS (a transaction begun while the coordinator still writes the last
    // one's markers) clears within milliseconds: retry soon, not after exponential seconds.
    'retry.backoff.ms': 20,
    'retry.backoff.max.ms': 1000,
    // Room for the largest write the pipeline makes (src/worker/worker.ts: 50,000 records, 8 MiB).
    'queue.buffering.max.messages': 200_000,
    'queue.buffering.max.kbytes': 64 * 1024,
    // A transaction's outcome comes from its commit; delivery reports cost ~4 µs per record, so only
    // the plain producer, which has no other way to learn of a failed record, asks for them.
    dr_cb: !transactional,
    // Client-level errors (a refused login, a failed handshake) arrive as 'event.error' only with this.
    event_cb: true,
    ...(transactional
      ? { 'transactional.id': opts.transactionalId, 'transaction.timeout.ms': CALL_TIMEOUT_MS }
      : {}),
  };
  const producer = new Producer(config, { acks: ACKS[opts.acks] });
  const log = client.logger;
  // librdkafka's error events carry only the kind of failure ("authentication failure"); the log
  // line it writes just before says why, so the last one is kept for the error that stops a call.
  let lastFailure = '';
  let lastFailureAt = 0;
  let fatal: string | null = null;
  producer.on('event.log', (line: { severity: number; message: string }) => {
    if (line.severity > 4) return;
    lastFailure = line.message.replace(/^\[thrd:[^\]]*\]: /, '');
    lastFailureAt = Date.now();
    if (fatal === null && /^Fatal error/.test(lastFailure)) fatal = lastFailure;
    log.debug({ librdkafka: lastFailure }, 'The Kafka client logged a failure');
  });
  // What librdkafka reports on its own (a broker down, a refused login): a debug line and a metric;
  // what it cannot overcome fails the call in progress, which classifies and reports it once.
  let connectFailure: ((err: Error) => void) | null = null;
  producer.on('event.error', (event: LibrdKafkaError) => {
    const name = rdkafkaEventName(event);
    client.onClientError?.(name);
    log.debug({ err: { name, message: event.message } }, 'The Kafka client reported an error');
    if (CONNECT_TERMINAL.has(name)) connectFailure?.(rdkafkaError(name, lastFailure || event.message));
  });
  // Delivery failures of the current plain write (the first one names the cause).
  let deliveryFailure: LibrdKafkaError | null = null;
  producer.on('delivery-report', (err: LibrdKafkaError | null) => {
    if (err && !deliveryFailure) deliveryFailure = err;
  });

  let connectFailed = false;

  // After a fatal error every call fails with a consequence ("Local: Fatal error", "Purged in
  // queue"); the client logged the cause when it happened, and that is what the error names.
  async function withCause(err: unknown): Promise<unknown> {
    const name = rdkafkaErrorName(err);
    // The log line may be handed over just after the error: give it a few polls.
    const consequence = name === '_FATAL' || name === '_PURGE_QUEUE';
    for (let i = 0; i < 10 && fatal === null && consequence && producer.isConnected(); i++) {
      producer.poll();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return fatal === null ? err : rdkafkaError(fatalName(fatal), fatal);
  }

  function produceAll(batch: readonly SinkMessage[], offset: SinkMessage | null) {
    for (const m of batch) producer.produce(m.topic, m.partition, m.value, m.key);
    if (offset) producer.produce(offset.topic, offset.partition, offset.value, offset.key);
  }

  async function writeInTransaction(batch: readonly SinkMessage[], offset: SinkMessage | null) {
    await call((done) => producer.beginTransaction(done));
    try {
      produceAll(batch, offset);
      await call((done) => producer.commitTransaction(CALL_TIMEOUT_MS, done));
    } catch (err) {
      // A fatal error (fenced) leaves nothing to abort; anything else is rolled back so the next
      // attempt starts clean.
      if (!(err as LibrdKafkaError).isFatal) {
        await call((done) => producer.abortTransaction(CALL_TIMEOUT_MS, done)).catch(() => undefined);
      }
      throw err;
    }
  }

  async function flushed() {
    await call((done) => producer.flush(CALL_TIMEOUT_MS, done));
    // Delivery reports arrive by polling; one poll after the flush hands over the last of them.
    producer.poll();
    await new Promise((resolve) => setImmediate(resolve));
    const failure = deliveryFailure;
    deliveryFailure = null;
    if (failure) throw failure;
  }

  async function writePlain(batch: readonly SinkMessage[], offset: SinkMessage | null) {
    if (batch.length > 0) {
      produceAll(batch, null);
      await flushed();
    }
    if (offset) {
      produceAll([], offset);
      await flushed();
    }
  }

  return {
    async connect() {
      // Events (a refused login) are handed over by polling, and the client's own poll timer starts
      // only once connected: until then this one does, so a terminal error ends the wait at once.
      const polling = setInterval(() => producer.isConnected() && producer.poll(), 50);
      try {
        await new Promise<void>((resolve, reject) => {
          connectFailure = reject;
          producer.connect({ timeout: CONNECT_TIMEOUT_MS }, (err) => (err ? reject(err) : resolve()));
        });
        producer.setPollInterval(50);
        // Fences an older worker with the same transactional id and aborts what it left open.
        if (transactional) await call((done) => producer.initTransactions(CALL_TIMEOUT_MS, done));
      } catch (err) {
        connectFailed = true;
        throw classifyConnectError(await withCause(err));
      } finally {
        clearInterval(polling);
        connectFailure = null;
      }
    },

    async partitions(topic) {
      const metadata = await new Promise<{ topics: { name: string; partitions: unknown[] }[] }>(
        (resolve, reject) =>
          producer.getMetadata({ topic, timeout: CALL_TIMEOUT_MS }, (err, data) =>
            err ? reject(err) : resolve(data),
          ),
      ).catch((err: unknown) => {
        if (rdkafkaErrorName(err) !== 'UNKNOWN_TOPIC_OR_PART') throw err;
        return { topics: [] };
      });
      const found = metadata.topics.find((t) => t.name === topic);
      if (!found || found.partitions.length === 0) {
        throw new SyncError(`Kafka topic ${topic} does not exist`, {
          retriable: false,
          reason: 'TopicNotFound',
          fix: `create it (the job never creates topics): ${createTopicCommand(client.brokers, topic)}`,
        });
      }
      return found.partitions.length;
    },

    async write(batch, offset) {
      if (batch.length === 0 && offset === null) return;
      await (transactional ? writeInTransaction(batch, offset) : writePlain(batch, offset)).catch(
        async (err: unknown) => {
          throw classifySendError(await withCause(err), {
            brokers: client.brokers,
            largest: largestRecord(offset ? [...batch, offset] : batch),
          });
        },
      );
    },

    lastFailure: () => (Date.now() - lastFailureAt < RECENT_FAILURE_MS ? lastFailure : null),

    async close() {
      if (!producer.isConnected()) return;
      // After a failed connect nothing is left to flush, and disconnecting waits for its metadata
      // request to time out: let that happen in the background.
      const disconnected = new Promise<void>((resolve) =>
        producer.disconnect(CALL_TIMEOUT_MS, () => resolve()),
      );
      if (!connectFailed) await disconnected;
    },
  };
}
