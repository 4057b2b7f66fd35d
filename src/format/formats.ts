// target.format → the RecordFormat the pipeline writes with, and what a snapshot thread encodes
// of each copied row for it.
import type { TableSchema } from '../source/row-change.ts';
import { type CanalTypes, canalJsonFormat, canalJsonSnapshotRows } from './canal-json/format.ts';
import type { CellForm } from './dts-avro/cell-forms.ts';
import { dtsAvroFormat } from './dts-avro/format.ts';
import { snapshotImagesEncoder } from './dts-avro/snapshot-images.ts';
import type { FormatName, RecordFormat, SnapshotRowsEncoder } from './record-format.ts';

export interface FormatChoice {
  format: FormatName;
  /** target.canalJson.types; only read for canal-json. */
  canalTypes?: CanalTypes;
}

export function createRecordFormat(
  choice: FormatChoice,
  job: { sourceVersion: string; now: () => number },
): RecordFormat {
  return choice.format === 'canal-json'
    ? canalJsonFormat({ types: choice.canalTypes ?? 'dts', now: job.now })
    : dtsAvroFormat(job.sourceVersion);
}

/** What a snapshot thread encodes of each row of `schema`, whose cells are in `forms`. */
export const snapshotRowsEncoder = (
  format: FormatName,
  schema: TableSchema,
  forms: readonly CellForm[],
): SnapshotRowsEncoder =>
  format === 'canal-json' ? canalJsonSnapshotRows(schema, forms) : snapshotImagesEncoder(forms);
