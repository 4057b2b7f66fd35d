// DTS-Avro as a RecordFormat: records built by record.ts, encoded by one RecordEncoder (its
// per-table byte cache lives as long as the format). A snapshot thread encodes the image fields.
import type { RecordFormat } from '../record-format.ts';
import { createRecordEncoder } from './codec.ts';
import { ddlRecord, rowRecord, snapshotRecordShell } from './record.ts';

export function dtsAvroFormat(sourceVersion: string): RecordFormat {
  const { encode, encodeInitRecords } = createRecordEncoder();
  return {
    name: 'dts-avro',
    table(schema, target) {
      const { objectName } = target;
      return {
        row: (change, id) => encode(rowRecord(change, { id, objectName, sourceVersion })),
        snapshotRows: (position) =>
          encodeInitRecords(snapshotRecordShell(schema, position, { id: 0, objectName, sourceVersion })),
      };
    },
    ddl: (ddl, id) => encode(ddlRecord(ddl, { id, sourceVersion })),
  };
}
