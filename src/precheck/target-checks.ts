// The target half of the precheck: the job's Kafka settings and secrets, one admin client.
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import { deliveryNote } from '../delivery.ts';
import { jobKey } from '../job-identity.ts';
import { createKafkaClient } from '../kafka/client.ts';
import type { Admin, Kafka } from '../kafka/kafkajs.ts';
import type { Logger } from '../log.ts';
import { hasStoredOffset } from '../offsets/kafka-offset-store.ts';
import { kafkaConnection } from '../worker/connections.ts';
import { planRouting } from '../worker/routing.ts';
import type { SecretResolver } from '../worker/secrets.ts';
import {
  decideExistingData,
  decideMessageSize,
  decideTopics,
  type PartitionWatermarks,
} from './target-decisions.ts';
import { failed, type PrecheckItem, passed } from './types.ts';

/** The client retries for tens of seconds; a precheck gives up sooner and says so. */
export const TARGET_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// kafkajs names authentication and TLS failures; everything else is reaching the brokers.
const isAuthError = (err: Error) =>
  /SASL|Authentication/i.test(err.name) || /SASL|authenticat|certificate|SSL|TLS/i.test(err.message);

async function topicLimits(admin: Admin, topics: string[]): Promise<Map<string, number | undefined>> {
  // ConfigResourceTypes.TOPIC = 2; the enum is not exported as a value in every kafkajs build.
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: 2, name, configNames: ['max.message.bytes'] })),
  });
  const limits = new Map<string, number | undefined>();
  for (const r of resources) {
    const entry = r.configEntries.find((e) => e.configName === 'max.message.bytes');
    limits.set(r.resourceName, entry ? Number(entry.configValue) : undefined);
  }
  return limits;
}

export async function checkTarget(
  job: SyncJob,
  resolveSecret: SecretResolver,
  log: Logger,
): Promise<PrecheckItem[]> {
  const { target } = job.spec;
  const brokers = target.brokers.join(',');
  const sasl = target.sasl;
  const how = sasl
    ? `SASL ${sasl.mechanism} with the credentials from secret ${sasl.secretRef.name} keys ${sasl.secretRef.usernameKey}/${sasl.secretRef.passwordKey}`
    : 'no SASL';
  let admin: Admin;
  let client: Kafka;
  try {
    client = createKafkaClient({
      ...(await kafkaConnection(job, resolveSecret)),
      clientId: `syncjob-precheck-${job.metadata.name}`,
      logger: log.child({ component: 'kafka' }),
    });
    admin = client.admin();
  } catch (err) {
    return [
      failed(
        'target.authentication',
        `could not read the credentials for the brokers: ${(err as Error).message}`,
        (err as { fix?: string }).fix ?? 'check target.sasl.secretRef and target.tls.caSecretRef',
      ),
    ];
  }
  const items: PrecheckItem[] = [];
  let existing: string[];
  try {
    await withTimeout(admin.connect(), TARGET_TIMEOUT_MS, `brokers ${brokers}`);
    existing = await withTimeout(admin.listTopics(), TARGET_TIMEOUT_MS, `metadata request to ${brokers}`);
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    const e = err as Error;
    if (isAuthError(e))
      return [
        passed('target.connectivity', `brokers ${brokers} answered`),
        failed(
          'target.authentication',
          `the brokers refused ${how}${target.tls.enabled ? ' over TLS' : ''}: ${e.message}`,
          'check target.sasl.mechanism, the user and password in the secret, and target.tls (CA, insecureSkipVerify)',
        ),
      ];
    return [
      failed(
        'target.connectivity',
        `metadata request to ${brokers} failed: ${e.message}`,
        "check target.brokers, the listener's port and protocol (target.tls), and that the brokers' advertised.listeners are reachable from the cluster",
      ),
    ];
  }
  items.push(
    passed('target.connectivity', `brokers ${brokers} answered a metadata request`),
    passed('target.authentication', `connected with ${how}${target.tls.enabled ? ' over TLS' : ''}`),
    passed('target.delivery', deliveryNote(job)),
  );
  try {
    const wanted = planRouting(job.spec.objects, target.topic).topics;
    const topicItem = decideTopics(wanted, existing, job.spec.target.brokers);
    items.push(topicItem);
    const present = wanted.filter((t) => existing.includes(t));
    if (present.length === 0) return items;
    const watermarks = new Map<string, PartitionWatermarks[]>();
    if (job.spec.conflictMode === 'precheckError')
      for (const topic of present)
        watermarks.set(
          topic,
          (await admin.fetchTopicOffsets(topic)).map((p) => ({
            partition: p.partition,
            low: Number(p.low),
            high: Number(p.high),
          })),
        );
    const holding = [...watermarks.values()].some((ps) => ps.some((p) => p.high > p.low));
    const ownRecords =
      holding && (await hasStoredOffset(client, job.spec.offsets.topic, Buffer.from(jobKey(job))));
    items.push(
      decideExistingData(job.spec.conflictMode, watermarks, ownRecords),
      decideMessageSize(await topicLimits(admin, present), job.spec.target.brokers),
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return items;
}
