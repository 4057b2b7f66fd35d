// DTS-Avro as a RecordFormat: records built by record.ts, encoded by one RecordEncoder (its
// per-table byte cache lives as long as the format). A snapshot thread encodes the image fields.
import type { RecordFormat } from '../record-format.ts';
import { createRecordEncoder } from './codec.ts';
import { ddlRecord, rowRecord, snapshotRecordShell } from './record.ts';

export function dtsAvroFormat(sourceVersion: string): RecordFormat {
  const { encode, encodeWithImages } = createRecordEncoder();
  return {
    name: 'dts-avro',
    table(schema, target) {
      const { objectName } = target;
      return {
        row: (change, id) => encode(rowRecord(change, { id, objectName, sourceVersion })),
        snapshotRow: (position, id, images) =>
          encodeWithImages(snapshotRecordShell(schema, position, { id, objectName, sourceVersion }), images),
      };
    },
    ddl: (ddl, id) => encode(ddlRecord(ddl, { id, sourceVersion })),
  };
}
