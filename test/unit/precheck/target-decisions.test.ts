import { describe, expect, it } from 'vitest';
import {
  decideExistingData,
  decideMessageSize,
  decideTopics,
  MESSAGE_SIZE_BOUND,
} from '../../../src/precheck/target-decisions.ts';

describe('decideTopics', () => {
  const brokers = ['k1:9092', 'k2:9092'];
  it("names only the job's missing topic, never the cluster's others, with the command that creates it", () => {
    expect(decideTopics(['a'], ['a', 'b'], brokers).result).toBe('Passed');
    const item = decideTopics(['x'], ['other-tenant', '__consumer_offsets', 'a'], brokers);
    expect(item).toMatchObject({ result: 'Failed', message: 'topic x does not exist' });
    expect(item.fix).toContain('kafka-topics --bootstrap-server k1:9092,k2:9092 --create --topic x');
    expect(`${item.message} ${item.fix}`).not.toContain('other-tenant');
  });
});

describe('decideExistingData', () => {
  const holding = new Map([
    [
      't',
      [
        { partition: 0, low: 0, high: 0 },
        { partition: 1, low: 2, high: 5 },
      ],
    ],
  ]);
  it('fails a topic with records under precheckError', () => {
    expect(decideExistingData('precheckError', holding)).toMatchObject({
      result: 'Failed',
      message: 'the topic already holds records: t (3 records)',
      fix: expect.stringContaining('conflictMode: ignore'),
    });
    expect(
      decideExistingData('precheckError', new Map([['t', [{ partition: 0, low: 4, high: 4 }]]])).result,
    ).toBe('Passed');
  });
  it('skips the check under ignore', () => {
    expect(decideExistingData('ignore', holding)).toMatchObject({
      result: 'Passed',
      message: expect.stringContaining('skipped'),
    });
  });
});

describe('decideMessageSize', () => {
  it('warns below the bound only', () => {
    expect(decideMessageSize(new Map([['t', 1048588]]), ['k:9092']).result).toBe('Passed');
    expect(decideMessageSize(new Map([['t', 100_000]]), ['k:9092'])).toMatchObject({
      result: 'Warning',
      message: expect.stringContaining(`t (100000)`),
      fix: expect.stringContaining(
        'kafka-configs --bootstrap-server k:9092 --alter --entity-type topics --entity-name t --add-config max.message.bytes=10485760',
      ),
    });
    expect(MESSAGE_SIZE_BOUND).toBe(1048576);
  });
});
