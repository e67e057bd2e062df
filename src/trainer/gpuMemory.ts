/**
 * Peak GPU memory of a trial. The trainer never prints it (TRAINER.md), so it is sampled from
 * `nvidia-smi --query-gpu=memory.used` for the trial's device while the trainer runs. Where there
 * is no nvidia-smi (the simulator, CI) the peak is unknown (null), never a made-up number.
 */
import { execFile } from 'node:child_process';

export interface GpuMemorySampler {
  start(): void;
  stop(): void;
  /** Highest memory.used seen, in MiB; null when no sample succeeded. */
  peakMiB(): number | null;
}

export interface NvidiaSmiSamplerOptions {
  /** Device index or UUID as in CUDA_VISIBLE_DEVICES (first entry used); all devices when absent. */
  gpu?: string;
  intervalMs?: number;
  /** The nvidia-smi executable (default `nvidia-smi` on PATH). */
  command?: string;
}

/** Parses `nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits` output (MiB per line). */
export function parseNvidiaSmiMemory(out: string): number[] {
  return out
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s*MiB$/i, ''))
    .filter((l) => /^\d+(?:\.\d+)?$/.test(l))
    .map(Number)
    .filter((n) => Number.isFinite(n) && n >= 0);
}

export function nvidiaSmiSampler(opts: NvidiaSmiSamplerOptions = {}): GpuMemorySampler {
  let peak: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let unavailable = false;
  const device = opts.gpu?.split(',')[0]?.trim();
  const args = ['--query-gpu=memory.used', '--format=csv,noheader,nounits', ...(device ? ['-i', device] : [])];
  const sample = () => {
    if (unavailable) return;
    execFile(opts.command ?? 'nvidia-smi', args, { timeout: 5000 }, (err, stdout) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') unavailable = true;
        return;
      }
      for (const v of parseNvidiaSmiMemory(stdout)) peak = peak === null ? v : Math.max(peak, v);
    });
  };
  return {
    start() {
      sample();
      timer = setInterval(sample, opts.intervalMs ?? 5000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    peakMiB: () => peak,
  };
}
