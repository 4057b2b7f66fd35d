// How a DTS cell is made from the bytes a source hands for it. For the common types those bytes
// are already a field of the value (an INT's digits are Integer.value, a VARCHAR's bytes are
// Character.value), so an encoder can write the cell without building its DtsValue
// (snapshot-images.ts); cellFromBytes says what each form means, for everyone else.
import {
  binaryObject,
  character,
  type DateTimeParts,
  type DtsValue,
  dateTime,
  decimal,
  integer,
} from './values.ts';

export type CellForm =
  /** An Integer whose value is the bytes' (ASCII) text. */
  | { kind: 'integer'; precision: number }
  /** A Decimal whose value is the bytes' (ASCII) text. */
  | { kind: 'decimal'; precision: number; scale: number }
  /** A Character whose value is the bytes. */
  | { kind: 'character'; charset: string }
  /** A BinaryObject whose value is the bytes. */
  | { kind: 'binaryObject'; type: string }
  /** A DateTime of the parts the bytes give. */
  | { kind: 'dateTime'; parts: (bytes: Buffer) => DateTimeParts }
  /** Any other value, built from the bytes. */
  | { kind: 'other'; convert: (bytes: Buffer) => DtsValue };

export function cellFromBytes(form: CellForm): (bytes: Buffer) => DtsValue {
  switch (form.kind) {
    case 'integer':
      return (bytes) => integer(form.precision, bytes.toString('latin1'));
    case 'decimal':
      return (bytes) => decimal(bytes.toString('latin1'), form.precision, form.scale);
    case 'character':
      return (bytes) => character(form.charset, bytes);
    case 'binaryObject':
      return (bytes) => binaryObject(form.type, bytes);
    case 'dateTime':
      return (bytes) => dateTime(form.parts(bytes));
    case 'other':
      return form.convert;
  }
}
