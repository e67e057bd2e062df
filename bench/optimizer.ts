/**
 * Optimizer benchmark. Prints JSON on stdout (progress on stderr).
 *
 *   npx tsx bench/optimizer.ts [--seeds 10] [--seed-start 0] [--evals 100] [--problems branin,hartmann6,...]
 *                              [--skip async,constrained,timing]
 *
 * Seeds are seed-start … seed-start + seeds − 1 (default 0…9, the numbers in docs/OPTIMIZER.md);
 * `--seed-start 10 --seeds 10` gives ten further seeds to check that a change is not seed luck.
 *
 * - sequential: median simple regret (best found − optimum) over seeds after 50 and `evals`
 *   evaluations, for suggest() and for uniform random search, on Branin, Hartmann6, Ackley-10,
 *   Levy-10, Rosenbrock-10;
 * - async: Hartmann6 with 4 workers: 4 trials always pending, one finishing at a time in random
 *   order, the next suggestion made with the other 3 pending;
 * - constrained: the seed's 11-parameter space with a synthetic loss and an OOM-like crash region
 *   (a memory estimate from batch size, ddpm_batch_mul and lora_r over a limit), whose good
 *   region borders the crash region; reports the share of suggestions after the first 20 that
 *   land in the crash region;
 * - timing: median wall-clock seconds of suggest() with 100 observations, 3 pending, count 1 in
 *   the seed space.
 */
import { Config, Observation } from '../src/domain';
import { suggest } from '../src/optimizer';
import { Rng, SearchSpace, sampleFeasibleConfig, seedSearchSpace } from '../src/space';
import { PROBLEMS, Problem, hartmann6 } from './problems';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? (process.argv[i + 1] as string) : def;
}
const SEEDS = Number(arg('seeds', '10'));
const SEED_START = Number(arg('seed-start', '0'));
const EVALS = Number(arg('evals', '100'));
const PROBLEM_NAMES = arg('problems', Object.keys(PROBLEMS).join(',')).split(',').filter(Boolean);
const SKIP = new Set(arg('skip', '').split(',').filter(Boolean));
const log = (s: string) => process.stderr.write(`${new Date().toISOString()} ${s}\n`);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

const checkpoints = [...new Set([Math.min(50, EVALS), EVALS])];

/** Best-so-far regret at each checkpoint. */
function regretsAt(values: number[], optimum: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of checkpoints) out[String(c)] = Math.min(...values.slice(0, c)) - optimum;
  return out;
}

function runSequential(p: Problem, seed: number): number[] {
  const obs: Observation[] = [];
  const vals: number[] = [];
  for (let i = 0; i < EVALS; i++) {
    const [s] = suggest({ space: p.space, observations: obs, pending: [], count: 1, seed });
    if (!s) break;
    const y = p.f(s.config);
    vals.push(y);
    obs.push({ trialId: String(i), config: s.config, status: 'succeeded', loss: y, durationSeconds: 1 });
  }
  return vals;
}

function runRandom(p: Problem, seed: number): number[] {
  const rng = new Rng(seed * 7919 + 17);
  return Array.from({ length: EVALS }, () => p.f(sampleFeasibleConfig(p.space, rng)));
}

/** 4 workers: 4 trials always pending; a random one of them finishes next. */
function runAsync(p: Problem, seed: number, workers: number): number[] {
  const rng = new Rng(seed * 104729 + 3);
  const obs: Observation[] = [];
  const vals: number[] = [];
  let running: Config[] = suggest({ space: p.space, observations: obs, pending: [], count: workers, seed }).map((s) => s.config);
  let id = 0;
  while (vals.length < EVALS) {
    const k = rng.int(running.length);
    const done = running[k] as Config;
    running = running.filter((_, i) => i !== k);
    const y = p.f(done);
    vals.push(y);
    obs.push({ trialId: String(id++), config: done, status: 'succeeded', loss: y, durationSeconds: 1 });
    if (vals.length + running.length < EVALS) {
      const [s] = suggest({ space: p.space, observations: obs, pending: running, count: 1, seed });
      if (s) running.push(s.config);
    }
  }
  return vals;
}

// Constrained crash-region problem in the seed space.
const seedSpace: SearchSpace = seedSearchSpace();
/** A memory estimate (arbitrary units): larger batch, ddpm multiplier and LoRA rank use more. */
function memory(c: Config): number {
  return (c.per_device_train_batch_size as number) * (1 + 0.5 * (c.ddpm_batch_mul as number)) * (1 + (c.lora_r as number) / 32);
}
const MEMORY_LIMIT = 30; // about half of the seed space (uniformly sampled) crashes
const crashes = (c: Config) => memory(c) > MEMORY_LIMIT;
/** Smooth synthetic loss whose optimum (batch 6, ddpm 4, r 16 → memory 27) sits next to the crash boundary (ddpm 5 or batch 8 crash). */
function seedLoss(c: Config): number {
  const lr = Math.log(c.learning_rate as number);
  return (
    ((lr - Math.log(3.2e-5)) / 0.5) ** 2 +
    (((c.per_device_train_batch_size as number) - 6) / 3) ** 2 +
    (((c.ddpm_batch_mul as number) - 4) / 3) ** 2 +
    (((c.lora_r as number) - 16) / 24) ** 2 +
    (((c.diffusion_loss_weight as number) - 1.5) / 0.6) ** 2 +
    (((c.warmup_ratio as number) - 0.04) / 0.05) ** 2 +
    0.3 * Math.abs((c.lora_alpha as number) / (c.lora_r as number) - 2)
  );
}

function runConstrained(seed: number, evals: number, random: boolean): { inCrashAfter20: number; total: number; best: number } {
  const obs: Observation[] = [];
  const rng = new Rng(seed * 31 + 5);
  let inCrash = 0;
  let total = 0;
  let best = Infinity;
  for (let i = 0; i < evals; i++) {
    const config = random ? sampleFeasibleConfig(seedSpace, rng) : (suggest({ space: seedSpace, observations: obs, pending: [], count: 1, seed })[0]?.config as Config);
    const crashed = crashes(config);
    if (i >= 20) {
      total++;
      if (crashed) inCrash++;
    }
    const loss = crashed ? null : seedLoss(config);
    if (loss !== null) best = Math.min(best, loss);
    obs.push({ trialId: String(i), config, status: crashed ? 'infeasible' : 'succeeded', loss, durationSeconds: 1800 });
  }
  return { inCrashAfter20: inCrash, total, best };
}

function timing(reps: number): number[] {
  const rng = new Rng(99);
  const obs: Observation[] = [];
  for (let i = 0; i < 100; i++) {
    const c = sampleFeasibleConfig(seedSpace, rng);
    const crashed = crashes(c);
    obs.push({ trialId: String(i), config: c, status: crashed ? 'infeasible' : 'succeeded', loss: crashed ? null : seedLoss(c) + 0.05 * rng.normal(), durationSeconds: 3600 * (1 + rng.random()) });
  }
  const pending = [0, 1, 2].map(() => sampleFeasibleConfig(seedSpace, rng));
  const times: number[] = [];
  for (let s = 0; s < reps; s++) {
    const t = performance.now();
    suggest({ space: seedSpace, observations: obs, pending, count: 1, seed: s });
    times.push((performance.now() - t) / 1000);
  }
  return times;
}

function main(): void {
  const started = new Date().toISOString();
  const result: Record<string, unknown> = { started, seeds: SEEDS, seedStart: SEED_START, evals: EVALS, node: process.version };
  const sequential: Record<string, unknown> = {};
  for (const name of PROBLEM_NAMES) {
    const p = PROBLEMS[name];
    if (!p) throw new Error(`unknown problem ${name} (known: ${Object.keys(PROBLEMS).join(', ')})`);
    const ours: Record<string, number>[] = [];
    const rand: Record<string, number>[] = [];
    const t0 = performance.now();
    for (let seed = SEED_START; seed < SEED_START + SEEDS; seed++) {
      ours.push(regretsAt(runSequential(p, seed), p.optimum));
      rand.push(regretsAt(runRandom(p, seed), p.optimum));
      log(`${name} seed ${seed}: ours ${JSON.stringify(ours[ours.length - 1])} random ${JSON.stringify(rand[rand.length - 1])}`);
    }
    const med = (rs: Record<string, number>[]) => Object.fromEntries(checkpoints.map((c) => [String(c), median(rs.map((r) => r[String(c)] as number))]));
    sequential[name] = { medianRegret: { ours: med(ours), random: med(rand) }, perSeed: { ours, random: rand }, seconds: (performance.now() - t0) / 1000 };
  }
  result.sequential = sequential;

  if (!SKIP.has('async')) {
    const ours: Record<string, number>[] = [];
    const t0 = performance.now();
    for (let seed = SEED_START; seed < SEED_START + SEEDS; seed++) {
      ours.push(regretsAt(runAsync(hartmann6, seed, 4), hartmann6.optimum));
      log(`hartmann6 async4 seed ${seed}: ${JSON.stringify(ours[ours.length - 1])}`);
    }
    result.async = {
      problem: 'hartmann6',
      workers: 4,
      medianRegret: Object.fromEntries(checkpoints.map((c) => [String(c), median(ours.map((r) => r[String(c)] as number))])),
      perSeed: ours,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  if (!SKIP.has('constrained')) {
    const evals = Math.min(EVALS, 60);
    const runs: { inCrashAfter20: number; total: number; best: number }[] = [];
    const rand: { inCrashAfter20: number; total: number; best: number }[] = [];
    const t0 = performance.now();
    for (let seed = SEED_START; seed < SEED_START + SEEDS; seed++) {
      runs.push(runConstrained(seed, evals, false));
      rand.push(runConstrained(seed, evals, true));
      log(`constrained seed ${seed}: ${JSON.stringify(runs[runs.length - 1])} random ${JSON.stringify(rand[rand.length - 1])}`);
    }
    const share = (rs: typeof runs) => rs.reduce((a, r) => a + r.inCrashAfter20, 0) / Math.max(1, rs.reduce((a, r) => a + r.total, 0));
    result.constrained = {
      space: 'seed (11 params, 2 constraints)',
      crashRegion: `batch × (1 + 0.5·ddpm_batch_mul) × (1 + lora_r/32) > ${MEMORY_LIMIT}`,
      evals,
      shareInCrashRegionAfter20: { ours: share(runs), random: share(rand) },
      medianBestLoss: { ours: median(runs.map((r) => r.best)), random: median(rand.map((r) => r.best)) },
      perSeed: runs,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  if (!SKIP.has('timing')) {
    const times = timing(15);
    result.timing = { setting: 'seed space, 100 observations (some crashed), 3 pending, count 1', medianSeconds: median(times), maxSeconds: Math.max(...times), samples: times };
    log(`timing median ${median(times).toFixed(3)} s`);
  }
  result.finished = new Date().toISOString();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main();
