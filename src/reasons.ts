// Every reason after which a worker stops for good: the one list the worker raises from (a
// terminal SyncError must name one), the operator acts on (Stalled, phase Failed) and
// docs/operator.md explains (a test keeps its table complete). Each says what happened and the
// usual way out; the error itself carries the fix for the case at hand (a command, a table).
export const TERMINAL_REASONS = {
  TopicNotFound: {
    meaning: 'a topic the job writes to does not exist (the job never creates topics)',
    fix: 'create the topic (the message has the command), or fix target.topic / the table topic',
  },
  RecordTooLarge: {
    meaning: "a record is larger than the topic's max.message.bytes",
    fix: "raise the topic's max.message.bytes (the message has the command)",
  },
  KafkaAuthenticationFailed: {
    meaning: 'the brokers refused the SASL login',
    fix: 'check target.sasl (mechanism, user, the password in the Secret)',
  },
  KafkaTLSVerificationFailed: {
    meaning: "the broker's certificate did not verify",
    fix: 'set target.tls.caSecretRef to the CA that signed it',
  },
  TopicNotAuthorized: {
    meaning: 'the SASL user may not write to a topic',
    fix: 'grant it WRITE and DESCRIBE on the topic',
  },
  ClusterNotAuthorized: {
    meaning: 'the SASL user may not write idempotently',
    fix: 'grant it IDEMPOTENT_WRITE on the cluster, or use acks other than all',
  },
  TransactionNotAuthorized: {
    meaning: "the SASL user may not use the job's transactional id",
    fix: 'grant it WRITE and DESCRIBE on the transactional id syncjob-*',
  },
  WorkerFenced: {
    meaning: 'a newer worker of the same job took over',
    fix: 'none: the newer worker goes on',
  },
  SecretNotFound: {
    meaning: 'a Secret or key the spec refers to does not exist',
    fix: 'create it, or fix the secretRef',
  },
  BinlogPurged: {
    meaning: 'the binlog position to resume from is no longer on the source',
    fix: 'keep binlogs longer (7 days or more), then re-initialize the job',
  },
  TableDropped: {
    meaning: 'a table named in spec.objects was dropped on the source',
    fix: 'remove it from spec.objects, or recreate it and re-initialize',
  },
  BinlogRowImageNotFull: {
    meaning:
      'the source logged a change of a synced table without every column (binlog_row_image MINIMAL/NOBLOB)',
    fix: "SET GLOBAL binlog_row_image='FULL', then a re-snapshot request for the table",
  },
  BinlogFormatNotRow: {
    meaning: 'the source logged a change of a synced table as a statement (binlog_format STATEMENT/MIXED)',
    fix: "SET GLOBAL binlog_format='ROW', then a re-snapshot request for the table",
  },
  SourceServerChanged: {
    meaning:
      'the source is another server than the offset was written on, and the offset has no GTID position',
    fix: 'point spec.source back at that server, or re-initialize the job',
  },
  TableSchemaUnavailable: {
    meaning: "a synced table's columns could not be read from the source",
    fix: 'grant the sync user SELECT on the table (information_schema shows only granted tables)',
  },
  ServerIdConflict: {
    meaning:
      'another binlog reader (a replica, another SyncJob, another CDC tool) connected to the source with the server id this job reads with; the two would disconnect each other forever',
    fix: 'set spec.source.serverId to a number no other reader of the source uses',
  },
  PartialJsonUpdates: {
    meaning:
      'the source logged a JSON update as a partial diff (binlog_row_value_options=PARTIAL_JSON), which cannot be turned into a full row exactly',
    fix: "SET GLOBAL binlog_row_value_options=''; then re-initialize the job (the partial event stays in the binlog)",
  },
  TableColumnsUnexplained: {
    meaning:
      "a binlog row of a synced table has a column count that the table's metadata does not explain (a hidden implicit primary key, the table changed since)",
    fix: 'add a primary key to the table or set binlog_row_metadata=FULL, then re-initialize the job',
  },
  InvalidConfiguration: {
    meaning: 'the spec asks for something the source or brokers cannot do',
    fix: 'change the spec as the message says',
  },
} as const satisfies Record<string, { meaning: string; fix: string }>;

export type TerminalReason = keyof typeof TERMINAL_REASONS;

export const isTerminalReason = (reason: string): reason is TerminalReason =>
  Object.hasOwn(TERMINAL_REASONS, reason);

// The reasons a worker shows while it retries on its own (in /report's problems, the SyncJob's
// Ready condition): the job moves again once the cause goes away. docs/operator.md lists them.
export const RETRIABLE_REASONS = {
  SourceUnavailable: {
    meaning: 'connecting to the source or a query on it failed (the message has the error)',
  },
  SourceStalled: {
    meaning: 'the binlog connection read nothing, not even a heartbeat, for 10 s; the worker reconnects',
  },
  TableMapMissing: {
    meaning: 'the binlog had rows without their table map (a cut stream); the worker reconnects',
  },
  KafkaUnavailable: {
    meaning:
      'connecting to Kafka failed, or a write was not acknowledged for 10 s (the message has what the client reported)',
  },
} as const satisfies Record<string, { meaning: string }>;

export type RetriableReason = keyof typeof RETRIABLE_REASONS;
