import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { classifySendError } from '../../../src/sink/kafka/kafka-errors.ts';

// Errors as librdkafka raises them: a message and a numeric code.
const tooLarge = Object.assign(new Error('Broker: Message size too large'), { code: 10 });

describe('classifySendError', () => {
  it('names a fenced worker and a refused transactional id by their reasons', () => {
    const fenced = classifySendError(
      Object.assign(new Error('Local: This instance has been fenced'), { code: -144 }),
      {
        brokers: [],
        largest: null,
      },
    );
    expect(fenced).toMatchObject({ retriable: false, reason: 'WorkerFenced' });
    const refused = classifySendError(
      Object.assign(new Error('Broker: Transactional Id authorization failed'), { code: 53 }),
      {
        brokers: [],
        largest: null,
      },
    );
    expect(refused).toMatchObject({ retriable: false, reason: 'TransactionNotAuthorized' });
  });

  it('makes a too-large record terminal, with the command that raises the limit of its topic', () => {
    const err = classifySendError(tooLarge, {
      brokers: ['k:9092'],
      largest: { topic: 't', bytes: 1_500_001 },
    }) as SyncError;
    expect(err).toMatchObject({ retriable: false, reason: 'RecordTooLarge' });
    expect(err.fix).toContain(
      'kafka-configs --bootstrap-server k:9092 --alter --entity-type topics --entity-name t --add-config max.message.bytes=3145728',
    );
  });

  it('keeps it terminal when the records are not known', () => {
    const err = classifySendError(tooLarge, { brokers: ['k:9092'], largest: null });
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ retriable: false, reason: 'RecordTooLarge' });
  });

  it('leaves a retriable failure as it is', () => {
    const err = Object.assign(new Error('Broker: Not leader for partition'), { code: 6 });
    expect(classifySendError(err, { brokers: ['k:9092'], largest: null })).toBe(err);
  });
});
