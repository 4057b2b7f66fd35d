// A job's connection settings with its secret references resolved. The values live only in these
// objects, handed to the clients; nothing here is logged.
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import type { KafkaClientOptions } from '../kafka/client.ts';
import type { SecretResolver } from './secrets.ts';

export interface MysqlConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  ssl?: { rejectUnauthorized: boolean; ca?: string };
}

export async function mysqlConnection(
  job: SyncJob,
  resolve: SecretResolver,
): Promise<MysqlConnectionOptions> {
  const { source } = job.spec;
  const password = await resolve(source.passwordSecretRef);
  const ssl = source.tls.enabled
    ? {
        rejectUnauthorized: !source.tls.insecureSkipVerify,
        ...(source.tls.caSecretRef ? { ca: await resolve(source.tls.caSecretRef) } : {}),
      }
    : undefined;
  return { host: source.host, port: source.port, user: source.username, password, ...(ssl ? { ssl } : {}) };
}

export async function kafkaConnection(
  job: SyncJob,
  resolve: SecretResolver,
): Promise<Pick<KafkaClientOptions, 'brokers' | 'sasl' | 'tls'>> {
  const { target } = job.spec;
  const sasl = target.sasl
    ? {
        mechanism: target.sasl.mechanism,
        username: await resolve({ name: target.sasl.secretRef.name, key: target.sasl.secretRef.usernameKey }),
        password: await resolve({ name: target.sasl.secretRef.name, key: target.sasl.secretRef.passwordKey }),
      }
    : undefined;
  const tls = target.tls.enabled
    ? {
        insecureSkipVerify: target.tls.insecureSkipVerify,
        ...(target.tls.caSecretRef ? { ca: await resolve(target.tls.caSecretRef) } : {}),
      }
    : undefined;
  return { brokers: target.brokers, ...(sasl ? { sasl } : {}), ...(tls ? { tls } : {}) };
}
