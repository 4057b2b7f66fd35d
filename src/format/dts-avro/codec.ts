// A Kafka message value is one record in plain Avro binary: no schema-registry prefix, no framing.
import { type DtsRecord, RecordType } from './schema.ts';

export const encodeRecord = (rec: DtsRecord): Buffer => RecordType.toBuffer(rec);

/** Decodes one message on its own, as DTS consumers do; trailing bytes are an error. */
export const decodeRecord = (buf: Buffer): DtsRecord => RecordType.fromBuffer(buf) as DtsRecord;
