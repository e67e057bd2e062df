/**
 * Real processes for the fault tests: vibeopt workers started as the CLI starts them
 * (`node --import tsx src/cli/main.ts worker ...`), killed with SIGKILL or stopped with SIGTERM,
 * the dev server on a fixed port (so it can be stopped and started again on the same SQLite file),
 * the trainer processes a worker has spawned, and polling helpers. Every process started here is
 * tracked so that `stopAllStarted()` can end exactly those (by pid) in an `after` hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliInvocation } from '../../src/cli/spawn';

const ROOT = path.resolve(__dirname, '..', '..');
const started = new Set<WorkerProcess>();

/** Polls `fn` every `intervalMs` until it returns something truthy; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await sleep(intervalMs);
  }
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface WorkerProcess {
  kind: 'cpu' | 'gpu';
  gpu?: string;
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** kill -9: no shutdown, no cleanup, exactly what a crash or a lost host looks like. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Whether a process (or, with a negative id, a process group) no longer exists. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Starts `vibeopt worker --queue cpu|gpu [--gpu N]` against `address` and waits until it polls
 * (it prints "polling task queue"). `env` is added to this process's environment (e.g. simulator
 * knobs for one GPU worker only). Output goes to `logFile` too when given.
 */
export async function spawnWorker(opts: { queue: 'cpu' | 'gpu'; gpu?: string; address: string; env?: Record<string, string>; logFile?: string; readyTimeoutMs?: number }): Promise<WorkerProcess> {
  const [cmd, ...pre] = cliInvocation();
  const args = [...pre, 'worker', '--queue', opts.queue, ...(opts.gpu !== undefined ? ['--gpu', opts.gpu] : [])];
  const child = spawn(cmd!, args, {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: opts.address, TEMPORAL_NAMESPACE: 'default', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
  const onData = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    log?.write(b);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      log?.end();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const w: WorkerProcess = {
    kind: opts.queue,
    gpu: opts.gpu,
    child,
    pid: child.pid!,
    exited,
    output: () => out,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      started.delete(w);
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      started.delete(w);
    },
  };
  started.add(w);
  try {
    await waitFor(
      `the ${opts.queue} worker to poll`,
      () => {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${out}`);
        return /polling task queue/.test(out);
      },
      opts.readyTimeoutMs ?? 120_000,
    );
  } catch (err) {
    await w.kill9();
    throw err;
  }
  return w;
}

/** Stops every worker process started by this module that is still running (SIGKILL). */
export async function stopAllStarted(): Promise<void> {
  await Promise.all([...started].map((w) => w.kill9()));
}

interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string[];
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(rest[1]), cmdline };
  } catch {
    return null;
  }
}

/** Live child processes of `parentPid` (e.g. the trainer a GPU worker spawned). */
export function childrenOf(parentPid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = readProc(Number(entry));
    if (p && p.ppid === parentPid) out.push(p);
  }
  return out;
}

/** The trial output folder of the trainer that a GPU worker is running now (`--output_dir`), if any. */
export function trainerOutputDirOf(workerPid: number): string | null {
  for (const c of childrenOf(workerPid)) {
    const i = c.cmdline.indexOf('--output_dir');
    if (i >= 0 && c.cmdline[i + 1]) return c.cmdline[i + 1]!;
  }
  return null;
}

/** Steps of the complete checkpoints (trainer_state.json written) in a trial folder. */
export function checkpointSteps(outputDir: string): number[] {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(path.join(outputDir, m[0], 'trainer_state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Resident memory of a process in MiB (VmRSS), or null when it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
