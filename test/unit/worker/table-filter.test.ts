import { describe, expect, it } from 'vitest';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import type { RowChange } from '../../../src/source/row-change.ts';
import { filteredChange } from '../../../src/worker/table-filter.ts';

// Images reduced to a marker: the matcher says which side of the filter each is on.
const inside = [{ in: true }] as unknown as DtsValue[];
const outside = [{ in: false }] as unknown as DtsValue[];
const matches = (image: readonly DtsValue[]) => (image[0] as unknown as { in: boolean }).in;
const change = (operation: RowChange['operation'], before: DtsValue[] | null, after: DtsValue[] | null) =>
  ({ operation, before, after }) as RowChange;

describe('a row change under a filter', () => {
  it('keeps changes inside it, drops those outside', () => {
    expect(filteredChange(change('INSERT', null, inside), matches)?.operation).toBe('INSERT');
    expect(filteredChange(change('INSERT', null, outside), matches)).toBeNull();
    expect(filteredChange(change('DELETE', inside, null), matches)?.operation).toBe('DELETE');
    expect(filteredChange(change('DELETE', outside, null), matches)).toBeNull();
    expect(filteredChange(change('UPDATE', inside, inside), matches)?.operation).toBe('UPDATE');
    expect(filteredChange(change('UPDATE', outside, outside), matches)).toBeNull();
  });

  it('turns an UPDATE out of it into a DELETE of the before image, into it into an INSERT of the after image', () => {
    expect(filteredChange(change('UPDATE', inside, outside), matches)).toMatchObject({
      operation: 'DELETE',
      before: inside,
      after: null,
    });
    expect(filteredChange(change('UPDATE', outside, inside), matches)).toMatchObject({
      operation: 'INSERT',
      before: null,
      after: inside,
    });
  });
});
