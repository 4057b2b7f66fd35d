import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND, type SyncJob, SyncJobSchema } from './syncjob-spec.ts';
import { type Issue, validationIssues } from './validation-issues.ts';

/** A SyncJob manifest that the API server would reject too; `issues` name each field. */
export class ManifestError extends Error {
  readonly issues: Issue[];

  constructor(issues: Issue[]) {
    super(`invalid SyncJob:\n${issues.map((i) => `  ${i.path || '(manifest)'}: ${i.message}`).join('\n')}`);
    this.name = 'ManifestError';
    this.issues = issues;
  }
}

/**
 * Checks a SyncJob as the API server does with the CRD (crd.ts): nulls dropped, defaults applied,
 * then the schema and its cross-field rules. Unknown fields are rejected, as kubectl's default
 * strict field validation does. Returns the defaulted job; the input is not modified.
 */
export function validateSyncJob(obj: unknown): SyncJob {
  if (!isRecord(obj)) throw new ManifestError([{ path: '', message: 'must be a SyncJob object' }]);
  const wrongType: Issue[] = [];
  if (obj.apiVersion !== API_VERSION)
    wrongType.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (obj.kind !== KIND) wrongType.push({ path: 'kind', message: `must be ${KIND}` });
  if (wrongType.length > 0) throw new ManifestError(wrongType);

  const job = Value.Default(SyncJobSchema, withoutNulls(obj));
  const issues = validationIssues(SyncJobSchema, job);
  if (issues.length > 0) throw new ManifestError(issues);
  const { metadata, spec } = job as SyncJob;
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: metadata.name,
      ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
      ...(metadata.uid === undefined ? {} : { uid: metadata.uid }),
      ...(metadata.generation === undefined ? {} : { generation: metadata.generation }),
    },
    spec,
  };
}

/**
 * Reads the one SyncJob of a YAML file. Other documents (a Secret, say) are skipped, so that one
 * file can hold a job and what it needs; none or several SyncJobs is an error.
 */
export function parseSyncJobManifest(yamlText: string): SyncJob {
  const documents: unknown[] = [];
  for (const [index, doc] of parseAllDocuments(yamlText).entries()) {
    const at = `document ${index + 1}`;
    // The first line of a YAML error says what and where; the rest quotes the source, which may
    // hold a secret of another document.
    const error = doc.errors[0];
    if (error) throw new ManifestError([{ path: '', message: `${at}: ${error.message.split(/:?\n/)[0]}` }]);
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (e) {
      throw new ManifestError([{ path: '', message: `${at}: ${(e as Error).message}` }]);
    }
    if (value !== null && value !== undefined) documents.push(value);
  }
  const jobs = documents.filter((d) => isRecord(d) && d.kind === KIND);
  if (jobs.length > 1) {
    throw new ManifestError([{ path: '', message: `holds ${jobs.length} SyncJobs; give exactly one` }]);
  }
  // A lone document of another kind gets the apiVersion/kind issues of validateSyncJob.
  const job = jobs[0] ?? (documents.length === 1 ? documents[0] : undefined);
  if (job === undefined) throw new ManifestError([{ path: '', message: `holds no ${KIND}` }]);
  return validateSyncJob(job);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy without null-valued fields: the API server prunes nulls of non-nullable fields before
 * defaulting, so `tls:` with nothing after it means "the default", not "invalid".
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}
