import {
  CompressionTypes,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { ConfigError, SyncError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { RecordSink, SinkMessage } from '../record-sink.ts';

export type Acks = 'all' | 'leader' | 'none';
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId: string;
  acks: Acks;
  compression: Compression;
  /** Idempotent producer (no duplicates on retry); needs brokers 0.11+ and acks=all. */
  idempotent: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  tls?: { ca?: string; insecureSkipVerify?: boolean };
  logger: Logger;
}

const ACKS: Record<Acks, number> = { all: -1, leader: 1, none: 0 };

// kafkajs ships gzip only; the other codecs need a codec package registered by the user.
const CODECS: Partial<Record<Compression, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

export function createKafkaSink(opts: KafkaSinkOptions): RecordSink {
  const compression = CODECS[opts.compression];
  if (compression === undefined) {
    throw new ConfigError(
      `target.compression ${opts.compression} is not available in this build`,
      'use compression none or gzip',
    );
  }
  if (opts.idempotent && opts.acks !== 'all') {
    throw new ConfigError('an idempotent producer needs target.acks all', 'set target.acks: all');
  }
  const log = opts.logger;
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      log.warn({ kafkajs: rest, namespace: entry.namespace }, message);
    },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
  };
  if (opts.sasl) config.sasl = opts.sasl as SASLOptions;
  if (opts.tls) {
    config.ssl = {
      rejectUnauthorized: !opts.tls.insecureSkipVerify,
      ...(opts.tls.ca === undefined ? {} : { ca: [opts.tls.ca] }),
    };
  }
  const kafka = new Kafka(config);
  const admin = kafka.admin();
  // One request in flight keeps the order of a partition even when a retry happens. An idempotent
  // producer must never give up a retry (a gap would break its sequence numbers), so it retries
  // until the broker answers; lag and the send-duration metric show a broker that is down.
  const producer: Producer = kafka.producer({
    idempotent: opts.idempotent,
    maxInFlightRequests: 1,
    // The partition is always chosen by us (src/sink/partitioner.ts); this only silences kafkajs.
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(opts.idempotent
      ? { retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 } }
      : {}),
  });
  const partitionCache = new Map<string, number>();

  return {
    async connect() {
      await Promise.all([admin.connect(), producer.connect()]).catch((err: unknown) => {
        throw classifyConnectError(err);
      });
    },

    async partitions(topic) {
      const cached = partitionCache.get(topic);
      if (cached !== undefined) return cached;
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) {
        throw new SyncError(`Kafka topic ${topic} does not exist`, {
          retriable: false,
          reason: 'TopicNotFound',
          fix: `create topic ${topic} before starting the job (existing topics: ${topics.filter((t) => !t.startsWith('__')).join(', ') || 'none'})`,
        });
      }
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const count = meta?.partitions.length ?? 0;
      partitionCache.set(topic, count);
      return count;
    },

    async send(batch: readonly SinkMessage[]) {
      if (batch.length === 0) return;
      const byTopic = new Map<string, { key: Buffer | null; value: Buffer; partition: number }[]>();
      for (const m of batch) {
        let list = byTopic.get(m.topic);
        if (!list) {
          list = [];
          byTopic.set(m.topic, list);
        }
        list.push({ key: m.key, value: m.value, partition: m.partition });
      }
      await producer
        .sendBatch({
          acks: ACKS[opts.acks],
          compression,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        })
        .catch((err: unknown) => {
          throw classifySendError(err);
        });
    },

    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}

// Broker answers that no retry can change; everything else (leader moves, timeouts, a broker
// restart) stays retriable.
const TERMINAL: Record<string, { reason: string; fix: string }> = {
  MESSAGE_TOO_LARGE: {
    reason: 'RecordTooLarge',
    fix: "raise the topic's max.message.bytes (and the broker's message.max.bytes), or exclude the large columns' table",
  },
  RECORD_LIST_TOO_LARGE: {
    reason: 'RecordTooLarge',
    fix: "raise the topic's max.message.bytes (and the broker's message.max.bytes)",
  },
  TOPIC_AUTHORIZATION_FAILED: {
    reason: 'TopicNotAuthorized',
    fix: 'grant the SASL user WRITE and DESCRIBE on the topic',
  },
  CLUSTER_AUTHORIZATION_FAILED: {
    reason: 'ClusterNotAuthorized',
    fix: 'grant the SASL user IDEMPOTENT_WRITE on the cluster, or use acks other than all',
  },
  SASL_AUTHENTICATION_FAILED: {
    reason: 'KafkaAuthenticationFailed',
    fix: 'check the SASL mechanism and the credentials in the referenced secret',
  },
};

function classifySendError(err: unknown): unknown {
  const auth = authenticationFailure(err);
  if (auth) return auth;
  const type = (err as { type?: string }).type;
  const terminal = type === undefined ? undefined : TERMINAL[type];
  if (!terminal) return err;
  return new SyncError(`Kafka refused the records: ${(err as Error).message}`, {
    retriable: false,
    ...terminal,
    cause: err,
  });
}

// Node's codes for a broker certificate that the configured trust cannot verify. kafkajs retries
// them like any connection error (about half a minute with the retry settings above), then gives up.
const TLS_UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The error and the errors it wraps (kafkajs chains them through `cause`). */
function* errorChain(
  err: unknown,
): Generator<{ name?: string; code?: string; type?: string; message?: string }> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    yield current as { name?: string; code?: string; type?: string; message?: string };
    current = (current as { cause?: unknown }).cause;
  }
}

// kafkajs raises KafkaJSSASLAuthenticationError for wrong credentials or a mechanism the broker
// does not enable; the broker's SASL_AUTHENTICATION_FAILED is the same answer. No retry helps.
function authenticationFailure(err: unknown): SyncError | undefined {
  for (const e of errorChain(err)) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED') {
      return new SyncError(`Kafka rejected the SASL login: ${e.message}`, {
        retriable: false,
        reason: 'KafkaAuthenticationFailed',
        fix: 'check target.sasl.mechanism (the broker must enable it) and the username and password in the secret referenced by target.sasl.secretRef',
        cause: err,
      });
    }
  }
  return undefined;
}

function tlsFailure(err: unknown): SyncError | undefined {
  for (const e of errorChain(err)) {
    const code = e.code ?? '';
    let fix: string | undefined;
    if (TLS_UNTRUSTED.has(code)) {
      fix =
        'put the CA certificate that signed the broker certificate (PEM) into the secret referenced by target.tls.caSecretRef, or set target.tls.insecureSkipVerify: true (testing only)';
    } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      fix =
        'list the brokers by a host name or IP address that the broker certificate names, or set target.tls.insecureSkipVerify: true (testing only)';
    } else if (TLS_EXPIRED.has(code)) {
      fix = 'renew the broker certificate (or correct the clock of the broker or of this node)';
    }
    if (fix !== undefined) {
      return new SyncError(`the Kafka broker certificate did not verify (${code}): ${e.message}`, {
        retriable: false,
        reason: 'KafkaTLSVerificationFailed',
        fix,
        cause: err,
      });
    }
  }
  return undefined;
}

function classifyConnectError(err: unknown): unknown {
  return authenticationFailure(err) ?? tlsFailure(err) ?? err;
}
