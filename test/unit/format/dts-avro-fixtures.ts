// Tables and changes shared by the DTS-Avro format tests.
import type { ColumnSpec, RowChange, SourcePosition, TableSchema } from '../../../src/source/row-change.ts';

export const column = (name: string, typeNumber: number, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({
  name,
  typeNumber,
  sqlType: 'int',
  columnType: 'int(11)',
  unsigned: false,
  charset: null,
  precision: 0,
  scale: 0,
  nullable: true,
  ...extra,
});

export const usersTable = (): TableSchema => ({
  database: 'shop',
  table: 'users',
  columns: [
    column('id', 8, { sqlType: 'bigint', unsigned: true }),
    column('email', 253, { sqlType: 'varchar' }),
  ],
  primaryKey: ['id'],
  uniqueKeys: { uk_email: ['email'] },
});

export const position = (extra: Partial<SourcePosition> = {}): SourcePosition => ({
  file: 'mysql-bin.000003',
  offset: 4711,
  gtid: '0-1-42',
  timestamp: 1_704_164_645,
  ...extra,
});

export const change = (
  operation: RowChange['operation'],
  before: RowChange['before'],
  after: RowChange['after'],
  table: TableSchema = usersTable(),
): RowChange => ({ operation, table, before, after, position: position() });
