// Which Kafka failures no retry can fix, named with the way out. Everything else (leader moves,
// timeouts, a broker restart) stays retriable.
import { SyncError } from '../../errors.ts';
import { raiseMaxMessageBytesCommand } from '../../kafka/cli-commands.ts';
import { rdkafkaErrorName } from '../../kafka/rdkafka.ts';
import type { TerminalReason } from '../../reasons.ts';

const FENCED = {
  reason: 'WorkerFenced' as const,
  fix: 'none needed: another worker of this job took over; this one stops',
};

const TERMINAL: Record<string, { reason: TerminalReason; fix: string }> = {
  TOPIC_AUTHORIZATION_FAILED: {
    reason: 'TopicNotAuthorized',
    fix: 'grant the SASL user WRITE and DESCRIBE on the topic',
  },
  CLUSTER_AUTHORIZATION_FAILED: {
    reason: 'ClusterNotAuthorized',
    fix: 'grant the SASL user IDEMPOTENT_WRITE on the cluster, or use acks other than all',
  },
  // Another worker of the same job started a transaction with our transactional id.
  _FENCED: FENCED,
  INVALID_PRODUCER_EPOCH: FENCED,
  PRODUCER_FENCED: FENCED,
  // Idempotence or transactions asked of brokers older than 0.11.
  _UNSUPPORTED_FEATURE: {
    reason: 'InvalidConfiguration',
    fix: "set target.version to the brokers' version: with 0.10 the job writes at-least-once, without idempotence or transactions",
  },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: {
    reason: 'TransactionNotAuthorized',
    fix: 'grant the SASL user WRITE and DESCRIBE on the transactional id syncjob-* (or use target.version 0.10 for at-least-once)',
  },
};

const TOO_LARGE = new Set(['MSG_SIZE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** What a failed send carried, for a fix that names the topic and a size that fits. */
export interface SendContext {
  brokers: readonly string[];
  /** The topic of the largest record written (the offset record included) and its size in bytes. */
  largest: { topic: string; bytes: number } | null;
}

const MIB = 1024 * 1024;

/** A librdkafka failure: its error name (see rdkafkaErrorName) and its text. */
function failure(err: unknown): { name: string | undefined; message: string } {
  return { name: rdkafkaErrorName(err), message: (err as Error | null)?.message ?? String(err) };
}

export function classifySendError(err: unknown, context: SendContext): unknown {
  const { name, message } = failure(err);
  if (name === 'SASL_AUTHENTICATION_FAILED' || name === '_AUTHENTICATION') return authenticationFailure(err);
  if (name !== undefined && TOO_LARGE.has(name)) {
    const largest = context.largest;
    // Twice the largest record, in whole MiB: room for the batch framing and a somewhat larger row.
    const limit = largest ? Math.max(2, Math.ceil((2 * largest.bytes) / MIB)) * MIB : 0;
    return new SyncError(
      `Kafka refused ${largest ? `a record of ${largest.bytes} bytes for topic ${largest.topic}` : 'the records'}: ${message}`,
      {
        retriable: false,
        reason: 'RecordTooLarge',
        fix: `raise the topic's limit: ${largest ? raiseMaxMessageBytesCommand(context.brokers, largest.topic, limit) : "the topic's max.message.bytes"} (and the brokers' message.max.bytes if it is lower), or leave the table with the large rows out of spec.objects`,
        cause: err,
      },
    );
  }
  const terminal = name === undefined ? undefined : TERMINAL[name];
  if (!terminal) return err;
  return new SyncError(`Kafka refused the records: ${message}`, {
    retriable: false,
    ...terminal,
    cause: err,
  });
}

// A wrong password, or a mechanism the broker does not enable: no retry helps.
function authenticationFailure(err: unknown): SyncError {
  return new SyncError(`Kafka rejected the SASL login: ${failure(err).message}`, {
    retriable: false,
    reason: 'KafkaAuthenticationFailed',
    fix: 'check target.sasl.mechanism (the broker must enable it) and the username and password in the secret referenced by target.sasl.secretRef',
    cause: err,
  });
}

// OpenSSL's words for a broker certificate that does not verify, as librdkafka passes them on.
const TLS_FIXES: [RegExp, string][] = [
  [
    /hostname mismatch|IP address mismatch/i,
    'list the brokers by a host name or IP address that the broker certificate names, or set target.tls.insecureSkipVerify: true (testing only)',
  ],
  [
    /certificate has expired|certificate is not yet valid/i,
    'renew the broker certificate (or correct the clock of the broker or of this node)',
  ],
  [
    /certificate verify failed|self[- ]signed certificate|unable to get (local )?issuer certificate|could not be verified/i,
    'put the CA certificate that signed the broker certificate (PEM) into the secret referenced by target.tls.caSecretRef, or set target.tls.insecureSkipVerify: true (testing only)',
  ],
];

function tlsFailure(err: unknown): SyncError | undefined {
  const { message } = failure(err);
  const fix = TLS_FIXES.find(([pattern]) => pattern.test(message))?.[1];
  if (fix === undefined) return undefined;
  return new SyncError(`the Kafka broker certificate did not verify: ${message}`, {
    retriable: false,
    reason: 'KafkaTLSVerificationFailed',
    fix,
    cause: err,
  });
}

/** As classifySendError, plus a broker certificate that does not verify (nothing was sent yet). */
export function classifyConnectError(err: unknown): unknown {
  if (failure(err).name === '_SSL') return tlsFailure(err) ?? err;
  return classifySendError(err, { brokers: [], largest: null });
}
