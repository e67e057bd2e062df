/**
 * Which basin does each point of the initial design lie in? For Hartmann6, seeds start … end−1:
 * the N_INITIAL design points suggest() makes with no data, sorted by regret, each followed by
 * the basin that steepest descent from it reaches ("G" = the global minimum, otherwise the regret
 * of the local minimum reached, e.g. 0.12). Prints one line per seed (JSON).
 *
 *   npx tsx bench/hartmann6_design_basins.ts [start=0] [end=40]
 *
 * docs/OPTIMIZER.md uses it to show that a Hartmann6 run ends in the basin of its best design
 * point (compare with the per-seed regrets of `bench/optimizer.ts --problems hartmann6`).
 */
import { Observation } from '../src/domain';
import { N_INITIAL, suggest } from '../src/optimizer';
import { hartmann6 as p } from './problems';

const f = (x: number[]) => p.f(Object.fromEntries(x.map((v, i) => [`x${i}`, v])));

/** Normalized-gradient descent with an adaptive step, inside [0, 1]^6; returns the regret reached. */
function descend(x0: number[]): number {
  let x = [...x0];
  let step = 0.02;
  for (let it = 0; it < 5000 && step > 1e-7; it++) {
    const g = x.map((_, k) => {
      const e = 1e-6;
      const xp = [...x];
      const xm = [...x];
      xp[k] = Math.min(1, (x[k] as number) + e);
      xm[k] = Math.max(0, (x[k] as number) - e);
      return (f(xp) - f(xm)) / ((xp[k] as number) - (xm[k] as number));
    });
    const norm = Math.hypot(...g) || 1;
    const next = x.map((v, k) => Math.min(1, Math.max(0, v - (step * (g[k] as number)) / norm)));
    if (f(next) < f(x)) {
      x = next;
      step *= 1.2;
    } else step *= 0.5;
  }
  return f(x) - p.optimum;
}

const start = Number(process.argv[2] ?? 0);
const end = Number(process.argv[3] ?? 40);
for (let seed = start; seed < end; seed++) {
  const obs: Observation[] = [];
  for (let i = 0; i < N_INITIAL; i++) {
    const [s] = suggest({ space: p.space, observations: obs, pending: [], count: 1, seed });
    if (!s) break;
    obs.push({ trialId: String(i), config: s.config, status: 'succeeded', loss: p.f(s.config), durationSeconds: 1 });
  }
  const design = obs
    .map((o) => {
      const basin = descend(Object.keys(p.space.params).map((k) => o.config[k] as number));
      return { regret: Number(((o.loss as number) - p.optimum).toFixed(3)), basin: basin < 1e-3 ? 'G' : Number(basin.toFixed(3)) };
    })
    .sort((a, b) => a.regret - b.regret);
  console.log(JSON.stringify({ seed, bestPointBasin: design[0]?.basin, design }));
}
