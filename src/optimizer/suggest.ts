/**
 * suggest(): the optimizer's one entry point, a pure function of (request, seed).
 *
 * Order of suggestions:
 *   1. initialConfigs (named or warm-start), skipping any already observed or pending (by value);
 *   2. a scrambled-Sobol fill until N_INITIAL (6) trials exist or are running (or while fewer
 *      than 2 trials have succeeded), skipping infeasible or already-seen points;
 *   3. the GP: objective GP on succeeded trials (crashed ones imputed, see below) with the worst
 *      observed loss as its prior mean (gp.ts, De Ath et al. 2020), the Laplace
 *      feasibility classifier when any trial crashed, cost GP when cost-aware, Kriging believer
 *      for pending trials and for the earlier suggestions of this call;
 *      α = LogEI + log P(success) (− log cost), maximized by optimize-acqf.ts.
 * A GP suggestion that would repeat a seen config is replaced by a random feasible unseen one.
 * Observations that are not usable are dropped: a succeeded trial with a non-finite loss counts
 * as a crash, configs with missing or non-numeric values or unknown choices are ignored,
 * cancelled trials are ignored.
 */
import { Config, Observation } from '../domain';
import { Rng, SearchSpace, configKey, isFeasible, sampleFeasibleConfig, satisfiesConstraints } from '../space';
import { GP } from './gp';
import { LogAcquisition } from './acqf';
import { believe } from './believer';
import { fitCost, fitFeasibility } from './feasibility';
import { optimizeAcqf } from './optimize-acqf';
import { ScrambledSobol } from './sobol';
import { SpaceTransform } from './transform';
import { SuggestRequest, Suggestion } from './types';

/**
 * Trials before the GP takes over (named/warm-start configs count). Small, as Bossek, Doerr &
 * Kerschke (GECCO 2020, "Initial design strategies and their effects on sequential model-based
 * optimization") found best on BBOB: with 6 instead of 10 the GP phase starts earlier and
 * converges sooner (Hartmann6, seeds 0–39: median regret at 50 evaluations 6.6e-5 instead of
 * 3.3e-4), and the share of runs that find the global basin is unchanged (30/40 vs 28/40;
 * 15 or 20 points: 22/40 and 20/40). See docs/OPTIMIZER.md.
 */
export const N_INITIAL = 6;

export interface PreparedData {
  tf: SpaceTransform;
  /** Succeeded trials with a finite loss. */
  xs: Float64Array[];
  ys: number[];
  /** All finished trials (for the feasibility model). */
  allX: Float64Array[];
  crashed: boolean[];
  durations: number[];
  pendingX: Float64Array[];
  nFinished: number;
}

export function prepare(space: SearchSpace, observations: Observation[], pending: Config[]): PreparedData {
  const tf = new SpaceTransform(space);
  const data: PreparedData = { tf, xs: [], ys: [], allX: [], crashed: [], durations: [], pendingX: [], nFinished: 0 };
  for (const o of observations) {
    if (!o || typeof o !== 'object' || o.status === 'cancelled' || !o.config) continue;
    data.nFinished++;
    const x = tf.encode(o.config);
    if (!x) continue;
    const ok = o.status === 'succeeded' && typeof o.loss === 'number' && Number.isFinite(o.loss);
    data.allX.push(x);
    data.crashed.push(!ok);
    data.durations.push(ok || o.status === 'too_slow' ? Number(o.durationSeconds) : NaN);
    if (ok) {
      data.xs.push(x);
      data.ys.push(o.loss as number);
    }
  }
  for (const p of pending) {
    const x = p && tf.encode(p);
    if (x) data.pendingX.push(x);
  }
  return data;
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The generator seed for (seed, a, b). Each part is hashed before it is combined: the earlier
 * `imul(seed ^ C ^ a, K)` depended on seed ^ a only, so seed 1 at trial 0 drew the stream of
 * seed 0 at trial 1, and seeds 0–15 shared their random streams across the first 16 trials.
 */
export function mixSeed(seed: number, a: number, b: number): number {
  let h = fmix32((Number.isFinite(seed) ? Math.floor(seed) : 0) ^ 0x2545f491);
  h = fmix32(h ^ fmix32((a ^ 0x68e31da4) >>> 0));
  return fmix32(h ^ fmix32((b ^ 0x1b56c4e9) >>> 0));
}

export function suggest(req: SuggestRequest): Suggestion[] {
  const { space } = req;
  const count = Math.max(0, Math.floor(Number.isFinite(req.count) ? req.count : 0));
  const observations = Array.isArray(req.observations) ? req.observations : [];
  const pending = Array.isArray(req.pending) ? req.pending : [];
  const seen = new Set<string>();
  for (const o of observations) if (o && o.config) seen.add(configKey(space, o.config));
  for (const p of pending) if (p) seen.add(configKey(space, p));
  const out: Suggestion[] = [];
  const take = (config: Config, source: Suggestion['source'], acquisition?: number) => {
    seen.add(configKey(space, config));
    out.push(acquisition === undefined ? { config, source } : { config, source, acquisition });
  };

  for (const c of req.initialConfigs ?? []) {
    if (out.length >= count) break;
    if (!isFeasible(space, c) || seen.has(configKey(space, c))) continue;
    take({ ...c }, 'initial');
  }
  if (out.length >= count) return out;

  const data = prepare(space, observations, pending);
  const { tf } = data;
  const rng = new Rng(mixSeed(req.seed, data.nFinished, pending.length));
  const randomUnseen = (): Config | null => {
    for (let t = 0; t < 1000; t++) {
      const c = sampleFeasibleConfig(space, rng);
      if (!seen.has(configKey(space, c))) return c;
    }
    return null;
  };
  if (tf.d === 0) {
    const c = tf.decode(new Float64Array(0));
    if (!seen.has(configKey(space, c)) && isFeasible(space, c)) take(c, 'initial');
    return out;
  }

  // 2. Quasi-random fill. The Sobol sequence depends only on the seed; the index on how many
  // trials exist, so successive calls walk along one sequence.
  const sobol = new ScrambledSobol(tf.d, mixSeed(req.seed, 0x50b, 0));
  let sobolIndex = data.nFinished + pending.length + out.length;
  const feasibleX = (x: Float64Array) => space.constraints.length === 0 || satisfiesConstraints(space, tf.decode(x));
  while (out.length < count && (data.nFinished + pending.length + out.length < N_INITIAL || data.xs.length < 2)) {
    let c: Config | null = null;
    for (let t = 0; t < 4096 && !c; t++) {
      const cand = tf.decode(tf.fromUnit(sobol.point(sobolIndex++)));
      if (satisfiesConstraints(space, cand) && !seen.has(configKey(space, cand))) c = cand;
    }
    if (c) take(c, 'sobol');
    else {
      const r = randomUnseen();
      if (!r) return out; // exhausted
      take(r, 'random');
    }
  }
  if (out.length >= count) return out;

  // 3. GP.
  const n = data.xs.length;
  const X = new Float64Array(n * tf.d);
  data.xs.forEach((x, i) => X.set(x, i * tf.d));
  const gp0 = GP.fit(X, n, tf.d, tf.isCat, Float64Array.from(data.ys), { priorMean: 'worst' });
  const feas = fitFeasibility(data.allX, data.crashed, tf.d, tf.isCat);
  const cost = req.costAware ? fitCost(data.allX, data.durations, tf.d, tf.isCat) : undefined;
  let bestI = 0;
  for (let i = 1; i < n; i++) if ((gp0.y[i] as number) < (gp0.y[bestI] as number)) bestI = i;
  const best = gp0.y[bestI] as number;
  const lengthscales = Float64Array.from(gp0.params.invSqLengthscales, (r) => 1 / Math.sqrt(r));
  const constraintsOnContinuous = space.constraints.some((c) =>
    (c.type === 'product_range' ? c.params : [c.numerator, c.denominator]).some((p) => space.params[p]?.type === 'float'),
  );
  // Crashed trials never report a loss, but for the goal they are bad outcomes. Each enters the
  // objective GP with the value max(μ(x), q75), q75 = the upper quartile of the observed
  // standardized losses: no better than a mediocre trial, yet not the worst, so EI stops pointing
  // into a crash region merely because it is unobserved while the good region next to it stays
  // attractive. (SMAC imputes the worst value; that avoided crashes in our crash-region benchmark
  // but also abandoned the optimum next to the boundary. The quartile was chosen on that
  // benchmark; see docs/OPTIMIZER.md.)
  const crashedX = data.allX.filter((_, i) => data.crashed[i]);
  const sortedY = Array.from(gp0.y).sort((a, b) => a - b);
  const q75 = sortedY[Math.floor(0.75 * (sortedY.length - 1))] as number;
  const gpC = crashedX.length > 0 ? gp0.condition(concat(crashedX), Float64Array.from(crashedX, (x) => Math.max(gp0.predict(x).mean, q75))) : gp0;
  const extra: Float64Array[] = [...data.pendingX];
  while (out.length < count) {
    const gp = believe(gpC, extra);
    const acq = new LogAcquisition(gp, best, feas, cost);
    const r = optimizeAcqf(acq, tf, rng.fork(), {
      lengthscales,
      warmStarts: [data.xs[bestI] as Float64Array],
      feasible: feasibleX,
      constraintsOnContinuous,
    });
    let config = r ? tf.decode(r.x) : null;
    if (config && (seen.has(configKey(space, config)) || !isFeasible(space, config))) config = null;
    if (config && r) {
      take(config, 'gp', r.value);
      extra.push(tf.snap(Float64Array.from(r.x)));
    } else {
      const c = randomUnseen();
      if (!c) break;
      take(c, 'random');
      const x = tf.encode(c);
      if (x) extra.push(x);
    }
  }
  return out;
}

function concat(xs: Float64Array[]): Float64Array {
  const d = xs[0]?.length ?? 0;
  const out = new Float64Array(xs.length * d);
  xs.forEach((x, i) => out.set(x, i * d));
  return out;
}
