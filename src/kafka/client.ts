// The kafkajs client of a job, configured once (brokers, SASL, TLS, logging) and shared by the
// sink and the offset store.
import type { Logger } from '../log.ts';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from './kafkajs.ts';
import { kafkaErrorType } from './protocol-errors.ts';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  tls?: { ca?: string; insecureSkipVerify?: boolean };
  logger: Logger;
  /**
   * Told of every failure kafkajs logged on its own (a broker's error answer, a lost connection),
   * by Kafka error name (CONCURRENT_TRANSACTIONS, ...) or kafkajs error class: a metric's label.
   */
  onClientError?: (error: string) => void;
}

export function createKafkaClient(opts: KafkaClientOptions): Kafka {
  const log = opts.logger;
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    // kafkajs logs each failure it retries itself (CONCURRENT_TRANSACTIONS after nearly every
    // commit, a refused SASL login, a broker restart); what it cannot overcome reaches our code as
    // an error, which the caller classifies and reports once. So its own lines are debug lines
    // and a counter, never a warning per occurrence.
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      opts.onClientError?.(kafkaErrorType(typeof rest.error === 'string' ? rest.error : message));
      log.debug({ kafkajs: rest, namespace: entry.namespace }, message);
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
  return new Kafka(config);
}
