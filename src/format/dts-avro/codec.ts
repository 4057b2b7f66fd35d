// A Kafka message value is one record in plain Avro binary: no schema-registry prefix, no framing.
import avro from 'avsc';
import { type DtsRecord, RecordType } from './schema.ts';
import { longSize, putLong } from './varint.ts';

export const encodeRecord = (rec: DtsRecord): Buffer => RecordType.toBuffer(rec);

/** Decodes one message on its own, as DTS consumers do; trailing bytes are an error. */
export const decodeRecord = (buf: Buffer): DtsRecord => RecordType.fromBuffer(buf) as DtsRecord;

/** Encodes records byte for byte as encodeRecord does, faster for records of a table seen before. */
export interface RecordEncoder {
  encode(rec: DtsRecord): Buffer;
  /**
   * Records like `shell` with their id and, in place of its images, image bytes from
   * snapshotImagesEncoder (a snapshot window's rows, all at one position): every other byte is
   * encoded once, a record is its pieces copied.
   */
  encodeInitRecords(shell: DtsRecord): (id: number, images: Buffer) => Buffer;
}

// An Avro record's encoding is its fields' encodings one after another. The middle fields depend
// only on the table, the operation and the job, and are most of a row record's bytes (every
// column's name and type, the key tags), so they are encoded once per table and operation and
// copied; the other fields are written by record types made of the same field types, so the
// bytes cannot differ from RecordType's.
type RecordField = { name: keyof DtsRecord; type: avro.Type };
const FIELDS = (RecordType as unknown as { fields: RecordField[] }).fields;
const names = FIELDS.map((f) => f.name).join(',');
const LAYOUT =
  'version,id,sourceTimestamp,sourcePosition,safeSourcePosition,sourceTxid,' +
  'source,operation,objectName,processTimestamps,tags,fields,beforeImages,afterImages,bornTimestamp';
if (names !== LAYOUT) throw new Error(`the DTS record schema's fields changed: ${names}`);

const partType = (name: string, from: number, to: number): avro.Type =>
  avro.Type.forSchema({
    type: 'record',
    name,
    fields: FIELDS.slice(from, to).map((f) => ({ name: f.name, type: f.type })),
  });
const HEAD = partType('RecordHead', 0, 6);
const VERSION = partType('RecordVersion', 0, 1);
const AFTER_ID = partType('RecordAfterId', 2, 6);
const MIDDLE_FIELDS = FIELDS.slice(6, 12);
const IMAGES = partType('RecordImages', 12, 14);
const TAIL = partType('RecordTail', 14, 15);

interface Middle {
  operation: DtsRecord['operation'];
  objectName: DtsRecord['objectName'];
  tags: DtsRecord['tags'];
  source: DtsRecord['source'];
  bytes: Buffer;
}

const sameMiddle = (m: Middle, rec: DtsRecord) =>
  m.operation === rec.operation &&
  m.objectName === rec.objectName &&
  m.tags === rec.tags &&
  m.source.sourceType === rec.source.sourceType &&
  m.source.version === rec.source.version &&
  rec.processTimestamps === null;

export function createRecordEncoder(): RecordEncoder {
  // By the record's `fields` array, which is one frozen object per table schema (record.ts): an
  // altered table gets a new one. A few entries each (one per operation), so a scan is enough.
  const middles = new WeakMap<object, Middle[]>();
  let scratch = Buffer.allocUnsafe(64 * 1024);

  const middleOf = (rec: DtsRecord): Buffer => {
    const shape = typeof rec.fields === 'object' && rec.fields !== null ? rec.fields : null;
    const known = shape ? middles.get(shape) : undefined;
    const hit = known?.find((m) => sameMiddle(m, rec));
    if (hit) return hit.bytes;
    const bytes = Buffer.concat(MIDDLE_FIELDS.map((f) => f.type.toBuffer(rec[f.name])));
    if (shape && rec.processTimestamps === null) {
      const { operation, objectName, tags, source } = rec;
      const entry = { operation, objectName, tags, source, bytes };
      if (known) known.push(entry);
      else middles.set(shape, [entry]);
    }
    return bytes;
  };

  // Head, middle, images (encoded here, or given), tail, into the scratch buffer, grown as needed.
  const assemble = (rec: DtsRecord, images: Buffer | null): Buffer => {
    const middle = middleOf(rec);
    for (;;) {
      let pos = HEAD.encode(rec, scratch, 0);
      if (pos >= 0 && pos + middle.length + (images?.length ?? 0) <= scratch.length) {
        pos += middle.copy(scratch, pos);
        if (images) pos += images.copy(scratch, pos);
        else pos = IMAGES.encode(rec, scratch, pos);
        if (pos >= 0) pos = TAIL.encode(rec, scratch, pos);
      } else pos = -1;
      if (pos >= 0) return Buffer.from(scratch.subarray(0, pos));
      // Too large for the scratch buffer (a wide row, a big BLOB): grow it and encode again.
      const size = images ? 1024 + middle.length + images.length : RecordType.toBuffer(rec).length;
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, size));
    }
  };

  const encodeInitRecords = (shell: DtsRecord) => {
    const version = VERSION.toBuffer(shell);
    const rest = Buffer.concat([AFTER_ID.toBuffer(shell), middleOf(shell)]);
    const tail = TAIL.toBuffer(shell);
    return (id: number, images: Buffer): Buffer => {
      // Beyond 2^53 (never, in practice) the long type's own path is the exact one.
      if (!Number.isSafeInteger(id) || id < 0) return assemble({ ...shell, id }, images);
      const out = Buffer.allocUnsafe(
        version.length + longSize(id) + rest.length + images.length + tail.length,
      );
      let pos = version.copy(out, 0);
      pos = putLong(out, pos, id);
      pos += rest.copy(out, pos);
      pos += images.copy(out, pos);
      tail.copy(out, pos);
      return out;
    };
  };

  return {
    encode: (rec) => assemble(rec, null),
    encodeInitRecords,
  };
}
