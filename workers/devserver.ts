/**
 * Starts and stops the embedded Temporal dev server for the demo, `vibeopt server` and the tests:
 * the provisioned `temporal` CLI, a SQLite file for persistence, the Web UI, and the project's
 * custom search attributes. One module so that all three run the server the same way.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { projectRoot, provisionTemporalCli } from '../src/devserver/provision';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export interface DevServerOptions {
  /** SQLite file; default `.state/temporal.sqlite` in the project. `':memory:'` for none. */
  dbFilename?: string;
  /** gRPC port; default: a free port. The demo uses 7233 unless taken. */
  port?: number;
  /** Web UI port; the UI is off when undefined. */
  uiPort?: number;
  namespace?: string;
  /** Extra `--dynamic-config-value KEY=JSON` settings, e.g. a low continue-as-new threshold. */
  dynamicConfig?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  dbFilename: string | undefined;
  stop(): Promise<void>;
  /** Keeps this process (the server's parent) up until SIGINT/SIGTERM, then stops the server and exits 0. */
  serveUntilSignal(): void;
}

export function defaultStateDir(): string {
  return path.join(projectRoot(), '.state');
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = provisionTemporalCli({ projectRoot: projectRoot(), log: opts.log });
  const dbFilename = opts.dbFilename === ':memory:' ? undefined : (opts.dbFilename ?? path.join(defaultStateDir(), 'temporal.sqlite'));
  if (dbFilename) mkdirSync(path.dirname(dbFilename), { recursive: true });
  const namespace = opts.namespace ?? 'default';
  const extraArgs: string[] = [];
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    extraArgs.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli.kind === 'binary' ? { type: 'existing-path', path: cli.path } : { type: 'cached-download' },
      dbFilename,
      port: opts.port,
      ui: opts.uiPort !== undefined,
      uiPort: opts.uiPort,
      namespace,
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs,
      log: { format: 'pretty', level: 'error' },
    },
  });
  await ensureSearchAttributes(env, namespace);
  let stopped = false;
  const server: DevServer = {
    env,
    address: env.address,
    namespace,
    uiUrl: opts.uiPort !== undefined ? `http://localhost:${opts.uiPort}` : undefined,
    dbFilename,
    async stop() {
      if (stopped) return;
      stopped = true;
      await env.teardown();
    },
    serveUntilSignal() {
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      const stopAndExit = async () => {
        await server.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stopAndExit());
      process.once('SIGTERM', () => void stopAndExit());
      setInterval(() => undefined, 1 << 30);
    },
  };
  return server;
}

/**
 * `--search-attribute` only takes effect when the CLI creates the namespace; with a reused SQLite
 * file, attributes added in a later version of vibeopt are registered through the operator service.
 */
async function ensureSearchAttributes(env: TestWorkflowEnvironment, namespace: string): Promise<void> {
  const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace });
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  // IndexedValueType numbers of temporal.api.enums.v1 for the metadata names.
  const indexed: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };
  await env.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, (indexed[TypedSearchAttributes.toMetadataType(k.type)] ?? 2) as never])),
  });
}
