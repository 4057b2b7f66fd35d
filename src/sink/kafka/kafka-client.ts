// The kafkajs client of a job, configured once (brokers, SASL, TLS, logging) and shared by the
// sink and the offset store.
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { Logger } from '../../log.ts';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  tls?: { ca?: string; insecureSkipVerify?: boolean };
  logger: Logger;
}

export function createKafkaClient(opts: KafkaClientOptions): Kafka {
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
  return new Kafka(config);
}
