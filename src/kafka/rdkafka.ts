// The one entry to librdkafka (@confluentinc/kafka-javascript, built from source by
// scripts/install-deps.sh): the producer behind the sink. librdkafka batches, compresses and
// checksums on its own threads, so a worker's event loop only hands it buffers; kafkajs does all of
// that in JavaScript, and measured 4–5× slower per record on the sink alone (docs/performance.md).
// Reads (offsets, topic scans, `syncjob decode`) stay on kafkajs: they are not on the hot path.
import { createRequire } from 'node:module';
import type * as Rdkafka from '@confluentinc/kafka-javascript';
import type { KafkaClientOptions } from './client.ts';

const rdkafka = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka;

export const { Producer } = rdkafka;
export type Producer = Rdkafka.Producer;
export type LibrdKafkaError = Rdkafka.LibrdKafkaError;
export type ProducerGlobalConfig = Rdkafka.ProducerGlobalConfig;

const rdkafkaCodes = rdkafka.CODES.ERRORS as Record<string, number>;
const CODE_NAMES = new Map<number, string>(Object.entries(rdkafkaCodes).map(([name, code]) => [code, name]));

/**
 * A librdkafka error's name in Kafka's protocol spelling (TOPIC_AUTHORIZATION_FAILED), or its local
 * name with one leading underscore (_AUTHENTICATION, _SSL, _FENCED); undefined for other errors.
 */
export function rdkafkaErrorName(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'number') return undefined;
  return CODE_NAMES.get(code)?.replace(/^ERR_/, '');
}

// Error events lose their code on the way from librdkafka (it arrives as -1); their text is the
// code's description, so the ones acted upon are recognized by it.
const EVENT_NAMES: Record<string, string> = {
  'authentication failure': '_AUTHENTICATION',
  'ssl error': '_SSL',
  'all broker connections are down': '_ALL_BROKERS_DOWN',
  'broker transport failure': '_TRANSPORT',
};

/** The name of an 'event.error' failure (see rdkafkaErrorName), `other` when not known. */
export function rdkafkaEventName(err: { message: string }): string {
  return EVENT_NAMES[err.message.toLowerCase()] ?? rdkafkaErrorName(err) ?? 'other';
}

/** An error carrying librdkafka's code for `name`, so it is classified like the client's own. */
export function rdkafkaError(name: string, message: string): Error {
  const code = rdkafkaCodes[`ERR_${name}`];
  return Object.assign(new Error(message), { code });
}

/** The connection part of a librdkafka configuration: brokers, SASL and TLS, as kafkajs gets them. */
export function connectionConfig(opts: Omit<KafkaClientOptions, 'logger'>): ProducerGlobalConfig {
  const config: ProducerGlobalConfig = {
    'bootstrap.servers': opts.brokers.join(','),
    'client.id': opts.clientId,
    'security.protocol': `${opts.sasl ? 'sasl_' : ''}${opts.tls ? 'ssl' : 'plaintext'}`,
    'socket.keepalive.enable': true,
  };
  if (opts.sasl) {
    config['sasl.mechanisms'] = opts.sasl.mechanism.toUpperCase();
    config['sasl.username'] = opts.sasl.username;
    config['sasl.password'] = opts.sasl.password;
  }
  if (opts.tls) {
    if (opts.tls.ca !== undefined) config['ssl.ca.pem'] = opts.tls.ca;
    if (opts.tls.insecureSkipVerify) {
      config['enable.ssl.certificate.verification'] = false;
      config['ssl.endpoint.identification.algorithm'] = 'none';
    }
  }
  return config;
}
