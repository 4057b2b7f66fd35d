// A Kafka message value is one record in plain Avro binary: no schema-registry prefix, no framing.
import avro from 'avsc';
import { type DtsRecord, RecordType } from './schema.ts';

export const encodeRecord = (rec: DtsRecord): Buffer => RecordType.toBuffer(rec);

/** Decodes one message on its own, as DTS consumers do; trailing bytes are an error. */
export const decodeRecord = (buf: Buffer): DtsRecord => RecordType.fromBuffer(buf) as DtsRecord;

/** Encodes records byte for byte as encodeRecord does, faster for records of a table seen before. */
export interface RecordEncoder {
  encode(rec: DtsRecord): Buffer;
}

// An Avro record's encoding is its fields' encodings one after another. The middle fields depend
// only on the table, the operation and the job, and are most of a row record's bytes (every
// column's name and type, the key tags), so they are encoded once per table and operation and
// copied; the fields before and after them are written by record types made of the same field
// types, so the bytes cannot differ from RecordType's.
type RecordField = { name: keyof DtsRecord; type: avro.Type };
const FIELDS = (RecordType as unknown as { fields: RecordField[] }).fields;
const MIDDLE = ['source', 'operation', 'objectName', 'processTimestamps', 'tags', 'fields'] as const;
const first = FIELDS.findIndex((f) => f.name === MIDDLE[0]);
const last = first + MIDDLE.length;
if (FIELDS.slice(first, last).some((f, i) => f.name !== MIDDLE[i]))
  throw new Error('the DTS record schema no longer has its constant fields together');

const partType = (name: string, fields: RecordField[]): avro.Type =>
  avro.Type.forSchema({ type: 'record', name, fields: fields.map((f) => ({ name: f.name, type: f.type })) });
const HEAD = partType('RecordHead', FIELDS.slice(0, first));
const TAIL = partType('RecordTail', FIELDS.slice(last));
const MIDDLE_FIELDS = FIELDS.slice(first, last);

interface Middle {
  fields: DtsRecord['fields'];
  tags: DtsRecord['tags'];
  bytes: Buffer;
}

const middleKey = (rec: DtsRecord) =>
  `${rec.operation}\0${rec.objectName}\0${rec.source.sourceType}\0${rec.source.version}`;

export function createRecordEncoder(): RecordEncoder {
  // Hit only while the record carries the very same (frozen, per table schema) fields and tags
  // objects: an altered table gets new ones and replaces its entry.
  const middles = new Map<string, Middle>();
  let scratch = Buffer.allocUnsafe(64 * 1024);

  const middleOf = (rec: DtsRecord): Buffer => {
    const key = middleKey(rec);
    const hit = middles.get(key);
    if (hit && hit.fields === rec.fields && hit.tags === rec.tags && rec.processTimestamps === null)
      return hit.bytes;
    const bytes = Buffer.concat(MIDDLE_FIELDS.map((f) => f.type.toBuffer(rec[f.name])));
    if (rec.processTimestamps === null) middles.set(key, { fields: rec.fields, tags: rec.tags, bytes });
    return bytes;
  };

  return {
    encode(rec) {
      const middle = middleOf(rec);
      for (;;) {
        let pos = HEAD.encode(rec, scratch, 0);
        if (pos >= 0 && pos + middle.length <= scratch.length) {
          pos += middle.copy(scratch, pos);
          pos = TAIL.encode(rec, scratch, pos);
        } else pos = -1;
        if (pos >= 0) return Buffer.from(scratch.subarray(0, pos));
        // Too large for the scratch buffer (a wide row, a big BLOB): grow it and encode again.
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, RecordType.toBuffer(rec).length));
      }
    },
  };
}
