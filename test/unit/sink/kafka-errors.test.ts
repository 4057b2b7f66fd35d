import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { classifySendError } from '../../../src/sink/kafka/kafka-errors.ts';

const tooLarge = Object.assign(new Error('The request included a message larger than the max message size'), {
  type: 'MESSAGE_TOO_LARGE',
});

describe('classifySendError', () => {
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
    const err = Object.assign(new Error('not leader'), { type: 'NOT_LEADER_OR_FOLLOWER' });
    expect(classifySendError(err, { brokers: ['k:9092'], largest: null })).toBe(err);
  });
});
