// Which Kafka failures no retry can fix, named with the way out. Everything else (leader moves,
// timeouts, a broker restart) stays retriable.
import { SyncError } from '../../errors.ts';
import { raiseMaxMessageBytesCommand } from '../../kafka/cli-commands.ts';

const TERMINAL: Record<string, { reason: string; fix: string }> = {
  TOPIC_AUTHORIZATION_FAILED: {
    reason: 'TopicNotAuthorized',
    fix: 'grant the SASL user WRITE and DESCRIBE on the topic',
  },
  CLUSTER_AUTHORIZATION_FAILED: {
    reason: 'ClusterNotAuthorized',
    fix: 'grant the SASL user IDEMPOTENT_WRITE on the cluster, or use acks other than all',
  },
  // Another worker of the same job started a transaction with our transactional id.
  INVALID_PRODUCER_EPOCH: {
    reason: 'WorkerFenced',
    fix: 'none needed: another worker of this job took over; this one stops',
  },
  PRODUCER_FENCED: {
    reason: 'WorkerFenced',
    fix: 'none needed: another worker of this job took over; this one stops',
  },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: {
    reason: 'TransactionNotAuthorized',
    fix: 'grant the SASL user WRITE and DESCRIBE on the transactional id syncjob-* (or use target.version 0.10 for at-least-once)',
  },
  SASL_AUTHENTICATION_FAILED: {
    reason: 'KafkaAuthenticationFailed',
    fix: 'check the SASL mechanism and the credentials in the referenced secret',
  },
};

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** What a failed send carried, for a fix that names the topic and a size that fits. */
export interface SendContext {
  brokers: readonly string[];
  /** The topic of the largest record written (the offset record included) and its size in bytes. */
  largest: { topic: string; bytes: number } | null;
}

const MIB = 1024 * 1024;

export function classifySendError(err: unknown, context: SendContext): unknown {
  const auth = authenticationFailure(err);
  if (auth) return auth;
  const type = (err as { type?: string }).type;
  if (type !== undefined && TOO_LARGE.has(type)) {
    const largest = context.largest;
    // Twice the largest record, in whole MiB: room for the batch framing and a somewhat larger row.
    const limit = largest ? Math.max(2, Math.ceil((2 * largest.bytes) / MIB)) * MIB : 0;
    return new SyncError(
      `Kafka refused ${largest ? `a record of ${largest.bytes} bytes for topic ${largest.topic}` : 'the records'}: ${(err as Error).message}`,
      {
        retriable: false,
        reason: 'RecordTooLarge',
        fix: `raise the topic's limit: ${largest ? raiseMaxMessageBytesCommand(context.brokers, largest.topic, limit) : "the topic's max.message.bytes"} (and the brokers' message.max.bytes if it is lower), or leave the table with the large rows out of spec.objects`,
        cause: err,
      },
    );
  }
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

export function classifyConnectError(err: unknown): unknown {
  return authenticationFailure(err) ?? tlsFailure(err) ?? err;
}
