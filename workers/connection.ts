/**
 * Connection settings by Temporal's own conventions (@temporalio/envconfig): TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and temporal.toml profiles.
 * An explicit address (a flag) wins over the environment.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export interface ConnectOptions {
  address?: string;
  namespace?: string;
  profile?: string;
}

export function resolveConnectConfig(opts: ConnectOptions = {}) {
  const cfg = loadClientConnectConfig({ profile: opts.profile });
  const connectionOptions = { ...cfg.connectionOptions, address: opts.address ?? cfg.connectionOptions.address ?? 'localhost:7233' };
  return { connectionOptions, namespace: opts.namespace ?? cfg.namespace ?? 'default' };
}

export async function connectClient(opts: ConnectOptions = {}): Promise<{ client: Client; connection: Connection; namespace: string }> {
  const { connectionOptions, namespace } = resolveConnectConfig(opts);
  const connection = await Connection.connect(connectionOptions as never);
  return { client: new Client({ connection, namespace }), connection, namespace };
}

export async function connectWorker(opts: ConnectOptions = {}): Promise<{ connection: NativeConnection; namespace: string }> {
  const { connectionOptions, namespace } = resolveConnectConfig(opts);
  return { connection: await NativeConnection.connect(connectionOptions), namespace };
}
