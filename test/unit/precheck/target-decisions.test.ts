import { describe, expect, it } from 'vitest';
import {
  decideExistingData,
  decideMessageSize,
  decideTopics,
  MESSAGE_SIZE_BOUND,
} from '../../../src/precheck/target-decisions.ts';

describe('decideTopics', () => {
  it('lists the topics that do exist, without internal ones', () => {
    expect(decideTopics(['a'], ['a', 'b']).result).toBe('Passed');
    expect(decideTopics(['x'], ['b', '__consumer_offsets', 'a'])).toMatchObject({
      result: 'Failed',
      message: 'topic x does not exist; existing topics: a, b',
    });
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
    expect(decideMessageSize(new Map([['t', 1048588]])).result).toBe('Passed');
    expect(decideMessageSize(new Map([['t', 100_000]]))).toMatchObject({
      result: 'Warning',
      message: expect.stringContaining(`t (100000)`),
    });
    expect(MESSAGE_SIZE_BOUND).toBe(1048576);
  });
});
