// The SyncJob status as a schema: the one definition the CRD's structural status (so `kubectl
// explain syncjob.status` documents it and the API server checks what the operator writes) and
// the operator's status type come from. The operator is its only writer.
import Type, { type Static } from 'typebox';
import { MapList, StringEnum } from './kube-schema.ts';

export const Phase = {
  Pending: 'Pending',
  Prechecking: 'Prechecking',
  PrecheckFailed: 'PrecheckFailed',
  Initializing: 'Initializing',
  Syncing: 'Syncing',
  Paused: 'Paused',
  Failed: 'Failed',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const Count = (description: string) => Type.Integer({ description, minimum: 0 });

const ConditionSchema = Type.Object(
  {
    type: Type.String({ description: 'Ready, PrecheckSucceeded, Initialized, Streaming or Stalled.' }),
    status: StringEnum(['True', 'False', 'Unknown'], { description: 'Whether the condition holds.' }),
    reason: Type.String({ description: 'Why, in one CamelCase word (docs/operator.md lists them).' }),
    message: Type.String({ description: 'Why, for a person; with the fix when one is known.' }),
    lastTransitionTime: Type.String({ description: 'When status last changed (RFC 3339).' }),
    observedGeneration: Count('The metadata.generation the condition was computed for.'),
  },
  { description: 'A condition, as metav1.Condition.' },
);

const PrecheckItemSchema = Type.Object(
  {
    name: Type.String({ description: 'The item, e.g. source.binlogFormat (docs/prechecks.md).' }),
    result: StringEnum(['Passed', 'Failed', 'Warning'], { description: 'What the item found.' }),
    message: Type.String({ description: 'What was found.' }),
    fix: Type.Optional(Type.String({ description: 'What to do about it.' })),
  },
  { description: 'One precheck item.' },
);

export const SyncJobStatusSchema = Type.Object(
  {
    phase: StringEnum(Object.values(Phase), {
      description:
        'Summary for kubectl get: Prechecking, PrecheckFailed, Initializing, Syncing, Paused or Failed (Pending until the operator first looked). Conditions say why.',
    }),
    conditions: MapList(ConditionSchema, 'type', { description: 'The job’s conditions, in a fixed order.' }),
    observedGeneration: Count('The metadata.generation this status was computed for.'),
    precheck: Type.Union(
      [
        Type.Object(
          {
            items: Type.Array(PrecheckItemSchema, { description: 'Every precheck item with its result.' }),
            forGeneration: Count('The generation the precheck ran against.'),
            fingerprint: Type.Optional(
              Type.String({ description: 'Hash of what the precheck checked (spec and Secret versions).' }),
            ),
            checkedAt: Type.Optional(Type.String({ description: 'When it ran (RFC 3339).' })),
          },
          { description: 'The latest precheck; null while none has run for this spec.' },
        ),
        Type.Null(),
      ],
      { description: 'The latest precheck; null while none has run for this spec.' },
    ),
    snapshot: Type.Optional(
      Type.Object(
        {
          tablesTotal: Count('Tables to copy.'),
          tablesDone: Count('Tables copied.'),
          rows: Count('Rows copied so far.'),
          done: Type.Boolean({ description: 'Whether initialization is complete.' }),
          tables: Type.Optional(
            Type.Array(
              Type.Object(
                { table: Type.String({ description: 'db.table' }), rows: Count('Rows copied so far.') },
                { description: 'A table being copied now.' },
              ),
              { description: 'The tables being copied now.' },
            ),
          ),
        },
        { description: 'Initialization progress, from the worker.' },
      ),
    ),
    position: Type.Optional(
      Type.Object(
        {
          file: Type.String({ description: 'Binlog file.' }),
          position: Count('Offset in the file.'),
          gtid: Type.String({ description: 'GTID position ("" when the server has none).' }),
        },
        { description: 'Where the job’s committed offset is in the source binlog.' },
      ),
    ),
    lagSeconds: Type.Optional(Count('Seconds the topic is behind the source (docs/operator.md#lag).')),
    worker: Type.Optional(
      Type.Object(
        {
          pod: Type.String({ description: 'The worker pod.' }),
          attempts: Count('Times the operator replaced a failed worker for this spec since a healthy run.'),
        },
        { description: 'The worker pod and its restarts.' },
      ),
    ),
  },
  { description: 'Observed state of the job; the operator is its only writer.' },
);

export type SyncJobStatus = Static<typeof SyncJobStatusSchema>;
