// Kafka's protocol errors by name, looked up from the message kafkajs logs for them (its log
// lines carry the message, not the code).
import { createRequire } from 'node:module';

const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string; message: string }[];
};
const BY_MESSAGE = new Map(errorCodes.map((e) => [e.message, e.type]));

/** The Kafka error name (e.g. CONCURRENT_TRANSACTIONS) for a kafkajs message, else `other`. */
export function kafkaErrorType(message: string): string {
  return (
    BY_MESSAGE.get(message) ??
    (/connect|ECONNREFUSED|closed connection/i.test(message) ? 'CONNECTION' : 'other')
  );
}
