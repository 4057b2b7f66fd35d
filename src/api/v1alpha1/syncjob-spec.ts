import Type, { type Static } from 'typebox';
import { FilterSyntaxError, parseFilter } from '../../filter/row-filter.ts';
import { FORMATS } from '../../format/record-format.ts';
import { WithRules } from './cross-field-rule.ts';
import { IntOrString, MapList, SetList, StringEnum } from './kube-schema.ts';
import { QUANTITY, quantityBytes } from './quantity.ts';

/** Why a filter does not parse (with the position), or null when it does. */
function filterError(text: string): string | null {
  try {
    parseFilter(text);
    return null;
  } catch (err) {
    if (err instanceof FilterSyntaxError) return err.message;
    throw err;
  }
}

/**
 * The least memory limit a worker runs in under its heaviest designed load: a one-million-row
 * transaction with the queue full peaks at 404–424 MiB resident with the heap capped at 192 MiB
 * (test/integration/worker/large-transaction.test.ts): encoded records outside the heap, the Kafka
 * client's buffer and Node's baseline come on top of the heap (75 % of the limit).
 */
export const MIN_WORKER_MEMORY = '512Mi';

// The SyncJob API (syncjob.io/v1alpha1): the one schema that the TypeScript types, validateSyncJob,
// the CRD (crd.ts) and docs/configuration.md are derived from. Every description ends up in
// `kubectl explain` and in the docs. A field with a default is declared required: the API server and
// validateSyncJob both apply defaults before validating, so SyncJobSpec is the defaulted shape that
// the operator and the worker read, with no `?? default` of their own.

export const GROUP = 'syncjob.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const KIND = 'SyncJob';
export const SYNCJOB_DESCRIPTION =
  'SyncJob keeps a Kafka topic in sync with tables of a MySQL-family database.';

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const SECRET_KEY = '^[-._a-zA-Z0-9]+$';
const KAFKA_TOPIC = '^[a-zA-Z0-9._-]+$';
// host:port or [ipv6]:port
const BROKER = '^([A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$';

// GTID sets: MariaDB's domain-server-sequence list and MySQL's uuid[:tag]:interval set. Written
// without backslashes or quotes so that the same text is a CEL string literal and a JS RegExp.
const MARIADB_GTID = '^[0-9]+-[0-9]+-[0-9]+([ ]*,[ ]*[0-9]+-[0-9]+-[0-9]+)*$';
const MYSQL_GTID_ONE =
  '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(:([a-z_][a-z0-9_]{0,31}|[0-9]+(-[0-9]+)?))+';
const MYSQL_GTID = `^${MYSQL_GTID_ONE}([ ]*,[ ]*${MYSQL_GTID_ONE})*$`;

const ResourceName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN });
const SecretKey = (description: string, defaultKey?: string) =>
  Type.String({
    description,
    minLength: 1,
    maxLength: 253,
    pattern: SECRET_KEY,
    ...(defaultKey === undefined ? {} : { default: defaultKey }),
  });

const CaSecretRef = Type.Object(
  {
    name: ResourceName('Name of the Secret, in the SyncJob namespace.'),
    key: SecretKey('Key of the PEM-encoded CA bundle in the Secret.', 'ca.crt'),
  },
  {
    description: 'Secret holding the CA bundle that signs the server certificate. Default: the system CAs.',
    additionalProperties: false,
  },
);

const ClientCertSecretRef = Type.Object(
  {
    name: ResourceName('Name of the Secret, in the SyncJob namespace.'),
    certKey: SecretKey('Key of the PEM-encoded client certificate in the Secret.', 'tls.crt'),
    keyKey: SecretKey('Key of the PEM-encoded private key in the Secret.', 'tls.key'),
  },
  {
    description: 'Secret holding a client certificate and key, for servers that require mutual TLS.',
    additionalProperties: false,
  },
);

const Tls = (of: string) =>
  WithRules(
    Type.Object(
      {
        enabled: Type.Boolean({ description: `Connect to ${of} over TLS.`, default: false }),
        caSecretRef: Type.Optional(CaSecretRef),
        clientCertSecretRef: Type.Optional(ClientCertSecretRef),
        insecureSkipVerify: Type.Boolean({
          description: 'Skip verification of the server certificate and host name. For tests only.',
          default: false,
        }),
      },
      { description: `TLS for the connection to ${of}.`, default: {}, additionalProperties: false },
    ),
    [
      {
        rule: 'self.enabled || (!has(self.caSecretRef) && !has(self.clientCertSecretRef) && !self.insecureSkipVerify)',
        message: 'caSecretRef, clientCertSecretRef and insecureSkipVerify need enabled: true',
        check: (tls) =>
          tls.enabled ||
          (tls.caSecretRef === undefined && tls.clientCertSecretRef === undefined && !tls.insecureSkipVerify),
      },
      {
        rule: '!(self.insecureSkipVerify && has(self.caSecretRef))',
        message: 'caSecretRef has no effect with insecureSkipVerify: true; set one of them',
        check: (tls) => !(tls.insecureSkipVerify && tls.caSecretRef !== undefined),
      },
    ],
  );

const StartPosition = WithRules(
  Type.Object(
    {
      mode: StringEnum(['end', 'file', 'gtid'], {
        description:
          'end: the current end of the binlog (after the initial snapshot, if any); file: file and position; gtid: after the transactions in gtidSet.',
        default: 'end',
      }),
      file: Type.Optional(
        Type.String({
          description: 'Binlog file name, as SHOW BINARY LOGS lists it (mode file).',
          minLength: 1,
          maxLength: 255,
          pattern: '^[A-Za-z0-9._-]+[.][0-9]+$',
        }),
      ),
      position: Type.Optional(
        Type.Integer({
          description: 'Position in that file, at an event boundary (mode file).',
          minimum: 4,
          maximum: 4294967295,
        }),
      ),
      gtidSet: Type.Optional(
        Type.String({
          description:
            'GTID set already applied; streaming starts after it (mode gtid). MariaDB: domain-server-sequence, comma-separated; MySQL and PolarDB: uuid:interval[,…].',
          minLength: 1,
          maxLength: 16384,
        }),
      ),
    },
    {
      description:
        'Where the binlog stream begins when the job has no saved offset. Ignored once offsets exist.',
      default: {},
      additionalProperties: false,
    },
  ),
  [
    {
      rule: "self.mode != 'file' || (has(self.file) && has(self.position))",
      message: 'mode file needs file and position',
      check: (p) => p.mode !== 'file' || (p.file !== undefined && p.position !== undefined),
    },
    {
      rule: "self.mode == 'file' || (!has(self.file) && !has(self.position))",
      message: 'file and position are only used with mode file',
      check: (p) => p.mode === 'file' || (p.file === undefined && p.position === undefined),
    },
    {
      rule: "self.mode != 'gtid' || has(self.gtidSet)",
      message: 'mode gtid needs gtidSet',
      fieldPath: '.gtidSet',
      check: (p) => p.mode !== 'gtid' || p.gtidSet !== undefined,
    },
    {
      rule: "self.mode == 'gtid' || !has(self.gtidSet)",
      message: 'gtidSet is only used with mode gtid',
      fieldPath: '.gtidSet',
      check: (p) => p.mode === 'gtid' || p.gtidSet === undefined,
    },
  ],
);

const Source = WithRules(
  Type.Object(
    {
      type: StringEnum(['mysql', 'polardb-mysql', 'mariadb'], {
        description: 'Kind of source database: MySQL 5.7/8.x, PolarDB for MySQL, or MariaDB.',
      }),
      host: Type.String({
        description: 'Host name or IP address of the source (for PolarDB: the primary endpoint).',
        minLength: 1,
        maxLength: 253,
      }),
      port: Type.Integer({
        description: 'TCP port of the source.',
        minimum: 1,
        maximum: 65535,
        default: 3306,
      }),
      username: Type.String({
        description:
          'Account the job connects as. It needs SELECT on the synced tables and REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR).',
        minLength: 1,
        maxLength: 128,
      }),
      passwordSecretRef: Type.Object(
        {
          name: ResourceName('Name of the Secret, in the SyncJob namespace.'),
          key: SecretKey('Key of the password in the Secret.'),
        },
        {
          description: 'Secret key that holds the password of username. Passwords are never written inline.',
          additionalProperties: false,
        },
      ),
      tls: Tls('the source database'),
      serverId: Type.Optional(
        Type.Integer({
          description:
            'Server id the binlog connection registers with; unique among the replicas and binlog readers of the source. When absent, one is derived from the SyncJob UID.',
          minimum: 1,
          maximum: 4294967295,
        }),
      ),
      timezone: Type.String({
        description:
          'UTC offset that the source session uses for TIMESTAMP values (set it to the time zone of the source when DATETIME values should match what applications see).',
        pattern: '^[+-](0[0-9]|1[0-4]):[0-5][0-9]$',
        default: '+00:00',
      }),
      startPosition: StartPosition,
    },
    { description: 'The MySQL-family database whose binlog is read.', additionalProperties: false },
  ),
  [
    {
      rule: `!has(self.startPosition.gtidSet) || (self.type == 'mariadb' ? self.startPosition.gtidSet.matches('${MARIADB_GTID}') : self.startPosition.gtidSet.matches('${MYSQL_GTID}'))`,
      message:
        'must be a MariaDB GTID list (domain-server-sequence,…) for type mariadb, a MySQL GTID set (uuid:interval,…) otherwise',
      fieldPath: '.startPosition.gtidSet',
      check: (s) =>
        s.startPosition.gtidSet === undefined ||
        new RegExp(s.type === 'mariadb' ? MARIADB_GTID : MYSQL_GTID).test(s.startPosition.gtidSet),
    },
  ],
);

const Sasl = Type.Object(
  {
    mechanism: StringEnum(['plain', 'scram-sha-256', 'scram-sha-512'], { description: 'SASL mechanism.' }),
    secretRef: Type.Object(
      {
        name: ResourceName('Name of the Secret, in the SyncJob namespace.'),
        usernameKey: SecretKey('Key of the user name in the Secret.', 'username'),
        passwordKey: SecretKey('Key of the password in the Secret.', 'password'),
      },
      { description: 'Secret that holds the SASL credentials.', additionalProperties: false },
    ),
  },
  { description: 'SASL authentication. Absent: no authentication.', additionalProperties: false },
);

const Topic = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 249, pattern: KAFKA_TOPIC });

const Target = WithRules(
  Type.Object(
    {
      brokers: SetList(
        Type.String({ description: 'A bootstrap broker as host:port.', maxLength: 261, pattern: BROKER }),
        { description: 'Bootstrap brokers, as host:port.', minItems: 1, maxItems: 64 },
      ),
      topic: Topic('Topic the records are written to. It must already exist; the job never creates topics.'),
      version: StringEnum(['0.10', '1.0', '2.x', '3.x', '4.x'], {
        description:
          'Kafka version of the brokers (quote it in YAML). 0.10 has no transactions: delivery is at-least-once. Later versions with acks all: data and offsets are committed in one transaction, exactly once.',
      }),
      sasl: Type.Optional(Sasl),
      tls: Tls('the Kafka brokers'),
      partitioning: StringEnum(['partition0', 'table', 'primaryKey'], {
        description:
          'partition0: every record to partition 0 (total order); table: partition by hash of database.table (order per table); primaryKey: partition by hash of the primary key (order per row).',
        default: 'partition0',
      }),
      acks: StringEnum(['all', 'leader', 'none'], {
        description:
          'Acknowledgement the producer waits for: all in-sync replicas, the leader only, or none. Exactly-once delivery needs all; leader can lose records when the leader fails, none at any time.',
        default: 'all',
      }),
      compression: StringEnum(['none', 'gzip', 'snappy', 'lz4', 'zstd'], {
        description:
          'Compression codec of record batches; all five are built in (librdkafka). lz4 is the usual choice: fast, and the one the managed service recommends.',
        default: 'none',
      }),
      delivery: Type.Optional(
        StringEnum(['exactlyOnce', 'atLeastOnce'], {
          description:
            'exactlyOnce (the default where the brokers have transactions: every version but 0.10, with acks all): records and the job offset are committed in one Kafka transaction; consumers read with isolation.level=read_committed and skip the transaction markers. atLeastOnce: an idempotent producer without transactions, so the topic holds no transaction markers (for clients that hand them to the application, e.g. kafka-python 2.0.2); after a crash the last batch written (at most 50,000 records) may appear again. Kafka 0.10 is always atLeastOnce.',
        }),
      ),
      format: StringEnum([...FORMATS], {
        description:
          "Record format. dts-avro: DTS Avro, readable by the existing DTS consumers and SDKs (docs/dts-avro.md). canal-json: Canal JSON, one JSON object per row change with every value as text (docs/canal-json.md), for Canal consumers and Flink's canal-json format.",
        default: 'dts-avro',
      }),
      canalJson: Type.Optional(
        Type.Object(
          {
            types: StringEnum(['dts', 'canal'], {
              description:
                "The type values written. dts: as the managed service, INIT for rows copied by initialization and DDL for schema statements. canal: as open-source Canal, copied rows are INSERT and statements CREATE, ALTER, ERASE, TRUNCATE, RENAME, CINDEX, DINDEX or QUERY; for readers that know only those (Flink's canal-json reads INSERT, UPDATE and DELETE and skips CREATE: turn ddl.emit off for it or set canal-json.ignore-parse-errors).",
              default: 'dts',
            }),
          },
          { description: 'Options of format canal-json.', additionalProperties: false },
        ),
      ),
    },
    { description: 'The Kafka cluster and topic the records are written to.', additionalProperties: false },
  ),
  [
    {
      rule: "!has(self.delivery) || self.delivery != 'exactlyOnce' || (self.version != '0.10' && self.acks == 'all')",
      message: 'delivery exactlyOnce needs Kafka 0.11 or later (version is not 0.10) and acks all',
      fieldPath: '.delivery',
      check: (t) => t.delivery !== 'exactlyOnce' || (t.version !== '0.10' && t.acks === 'all'),
    },
    {
      rule: "!has(self.canalJson) || self.format == 'canal-json'",
      message: 'canalJson applies only to format canal-json',
      fieldPath: '.canalJson',
      check: (t) => t.canalJson === undefined || t.format === 'canal-json',
    },
    {
      rule: "self.compression != 'zstd' || !(self.version in ['0.10', '1.0'])",
      message: 'zstd needs Kafka 2.1 or later',
      fieldPath: '.compression',
      check: (t) => t.compression !== 'zstd' || !(t.version === '0.10' || t.version === '1.0'),
    },
  ],
);

const Dml = WithRules(
  Type.Object(
    {
      insert: Type.Boolean({ description: 'Sync INSERT events.', default: true }),
      update: Type.Boolean({ description: 'Sync UPDATE events.', default: true }),
      delete: Type.Boolean({ description: 'Sync DELETE events.', default: true }),
    },
    {
      description: 'Which row changes of the table are synced.',
      default: {},
      additionalProperties: false,
    },
  ),
  [
    {
      rule: 'self.insert || self.update || self.delete',
      message: 'at least one of insert, update and delete must be true',
      check: (d) => d.insert || d.update || d.delete,
    },
  ],
);

// MySQL and MariaDB identifiers are at most 64 characters.
const Identifier = (description: string) => Type.String({ description, minLength: 1, maxLength: 64 });

const Table = Type.Object(
  {
    name: Identifier('Table name in the source database.'),
    targetName: Type.Optional(
      Identifier('Table name written into the records instead of name. Default: name.'),
    ),
    topic: Type.Optional(Topic('Topic for this table instead of target.topic. It must already exist.')),
    dml: Dml,
    filter: Type.Optional(
      Type.Refine(
        Type.String({
          description:
            "A condition a row must meet to be synced, e.g. `region = 'eu' AND (amount >= 100 OR vip IN (1, 2))`: comparisons (= != <> < > <= >=) and IN of a column with numbers or 'strings', AND, OR and parentheses. Applied the same way to copied rows and to every binlog row; an UPDATE that moves a row out of the condition is written as a DELETE, one that moves it in as an INSERT (docs/streaming.md).",
          minLength: 1,
          maxLength: 4096,
        }),
        (text) => filterError(text) === null,
        (text) => `invalid filter: ${filterError(text)}`,
      ),
    ),
    partitionKey: Type.Optional(
      SetList(Identifier('A column of the table.'), {
        description:
          "Columns whose values choose the partition of this table's records instead of the primary key (with target.partitioning primaryKey; the precheck checks the columns exist). The record key stays the primary key. Rows with equal values of these columns share a partition, in binlog order; a row whose values change moves to another partition.",
        minItems: 1,
        maxItems: 16,
      }),
    ),
  },
  { description: 'A table to sync.', additionalProperties: false },
);

const SyncObject = Type.Object(
  {
    database: Identifier('Database (schema) name in the source.'),
    targetName: Type.Optional(
      Identifier('Database name written into the records instead of database. Default: database.'),
    ),
    tables: Type.Optional(
      MapList(Table, 'name', {
        description:
          'Tables to sync, each an object with at least a name. Absent: every table of the database, including tables created later.',
        maxItems: 1000,
      }),
    ),
  },
  { description: 'A database and the tables of it to sync.', additionalProperties: false },
);

const Resnapshot = Type.Object(
  {
    name: Type.String({
      description:
        'Names the request; each name is handled once (the job offset remembers it), so it can stay in the spec. Use a new name to copy the tables again.',
      minLength: 1,
      maxLength: 63,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    }),
    tables: Type.Array(
      Type.Object(
        {
          database: Identifier('Database of the table.'),
          table: Identifier('Table name; spec.objects must select it.'),
        },
        { description: 'A table to copy again.', additionalProperties: false },
      ),
      { description: 'Tables to copy again.', minItems: 1, maxItems: 1000 },
    ),
  },
  {
    description:
      'A request to copy tables of a running job again (as INIT records, lock-free, while the stream goes on), e.g. after repairing a consumer.',
    additionalProperties: false,
  },
);

const Initialization = WithRules(
  Type.Object(
    {
      schema: Type.Boolean({
        description: 'Write a DDL record with the definition of each table before its data.',
        default: false,
      }),
      data: Type.Boolean({
        description:
          'Snapshot the existing rows (as INIT records) before streaming; lock-free, chunked by primary key.',
        default: true,
      }),
      chunkSize: Type.Integer({
        description: 'Rows per snapshot chunk.',
        minimum: 100,
        maximum: 1000000,
        default: 10000,
      }),
      parallelism: Type.Integer({
        description:
          'Tables copied at the same time, each over its own connection and in its own thread (chunks of one table are read one after another, the next while the last is queued).',
        minimum: 1,
        maximum: 16,
        default: 2,
      }),
      resnapshots: MapList(Resnapshot, 'name', {
        description:
          'Re-snapshot requests: the tables of each request not handled yet are copied again. Needs data: true.',
        maxItems: 100,
        default: [],
      }),
    },
    {
      description: 'Initial load before incremental sync.',
      default: {},
      additionalProperties: false,
    },
  ),
  [
    {
      rule: 'self.data || size(self.resnapshots) == 0',
      message: 'resnapshots copy rows: they need data: true',
      fieldPath: '.resnapshots',
      check: (i) => i.data || i.resnapshots.length === 0,
    },
  ],
);

const Worker = Type.Object(
  {
    image: Type.Optional(
      Type.String({
        description: 'Container image of the worker. Default: the operator image.',
        minLength: 1,
      }),
    ),
    resources: Type.Optional(
      WithRules(
        Type.Object(
          {
            requests: Type.Optional(
              Type.Record(Type.String(), IntOrString({ pattern: QUANTITY }), {
                description: 'Minimum resources, e.g. cpu: 500m, memory: 512Mi.',
              }),
            ),
            limits: Type.Optional(
              Type.Record(Type.String(), IntOrString({ pattern: QUANTITY }), {
                description: `Maximum resources, e.g. memory: 1Gi. A memory limit must be at least ${MIN_WORKER_MEMORY}.`,
              }),
            ),
          },
          { description: 'Compute resources of the worker container.', additionalProperties: false },
        ),
        [
          {
            rule: `!has(self.limits) || !('memory' in self.limits) || !isQuantity(string(self.limits['memory'])) || quantity(string(self.limits['memory'])).compareTo(quantity('${MIN_WORKER_MEMORY}')) >= 0`,
            message: `limits.memory must be at least ${MIN_WORKER_MEMORY}: below it the worker's heap runs out (raise it)`,
            fieldPath: '.limits',
            check: (self) => {
              const memory = self.limits?.memory;
              const bytes = memory === undefined ? undefined : quantityBytes(memory);
              return bytes === undefined || bytes >= quantityBytes(MIN_WORKER_MEMORY)!;
            },
          },
        ],
      ),
    ),
    metricsPort: Type.Integer({
      description: 'Port of the worker metrics endpoint (/metrics).',
      minimum: 1,
      maximum: 65535,
      default: 9400,
    }),
  },
  { description: 'The worker pod that runs the sync.', default: {}, additionalProperties: false },
);

export const SyncJobSpecSchema = Type.Object(
  {
    source: Source,
    target: Target,
    objects: MapList(SyncObject, 'database', {
      description: 'What to sync: databases, and tables in them.',
      minItems: 1,
      maxItems: 100,
    }),
    conflictMode: StringEnum(['precheckError', 'ignore'], {
      description:
        'precheckError: the precheck fails when the target topic already holds records of these objects; ignore: skip that check.',
      default: 'precheckError',
    }),
    initialization: Initialization,
    ddl: Type.Object(
      {
        emit: Type.Boolean({
          description: 'Write a DDL record for each schema change of a synced table.',
          default: false,
        }),
      },
      { description: 'Schema changes during incremental sync.', default: {}, additionalProperties: false },
    ),
    state: StringEnum(['running', 'paused'], {
      description: 'paused stops the worker and keeps its offsets; running resumes from them.',
      default: 'running',
    }),
    offsets: Type.Object(
      {
        topic: Type.String({
          description:
            'Compacted topic, on the target cluster, where the job stores how far it got (one key per SyncJob namespace/name). Created with one partition when missing.',
          minLength: 1,
          maxLength: 249,
          pattern: KAFKA_TOPIC,
          default: 'syncjob-offsets',
        }),
        onDelete: StringEnum(['keep', 'delete'], {
          description:
            'What happens to the stored offsets when the SyncJob is deleted. keep: a new SyncJob of the same name and namespace resumes from them.',
          default: 'keep',
        }),
      },
      { description: 'The offsets the job stores in Kafka.', default: {}, additionalProperties: false },
    ),
    worker: Worker,
  },
  {
    description: 'What to sync from where to where.',
    additionalProperties: false,
  },
);

export const SyncJobSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(KIND),
    // Only what the job uses is typed; labels, annotations and server fields pass.
    metadata: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN }),
      namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
      uid: Type.Optional(Type.String()),
      generation: Type.Optional(Type.Integer()),
    }),
    spec: SyncJobSpecSchema,
  },
  { description: SYNCJOB_DESCRIPTION },
);

export type SyncJobSpec = Static<typeof SyncJobSpecSchema>;

export interface SyncJob {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: { name: string; namespace?: string; uid?: string; generation?: number };
  spec: SyncJobSpec;
}
