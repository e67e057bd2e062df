/**
 * Continues a Hartmann6 state (JSON {seed, X (unit cube), y}) with our suggest() for MORE trials:
 * the counterpart of bench/optuna_continue.py, e.g. on Optuna's own random initial designs.
 *   npx tsx bench/ours_continue.ts MORE STATE.json...
 */
import { readFileSync } from 'node:fs';
import { suggest } from '../src/optimizer/suggest';
import { hartmann6 } from './problems';
import { Observation } from '../src/domain';

const [moreS, ...files] = process.argv.slice(2);
for (const f of files) {
  const s = JSON.parse(readFileSync(f, 'utf8'));
  const obs: Observation[] = s.X.map((x: number[], i: number) => ({ trialId: String(i), config: Object.fromEntries(x.map((v, k) => [`x${k}`, v])), status: 'succeeded', loss: s.y[i], durationSeconds: 1 }));
  const start = obs.length;
  for (let i = 0; i < Number(moreS); i++) {
    const [g] = suggest({ space: hartmann6.space, observations: obs, pending: [], count: 1, seed: s.seed });
    if (!g) break;
    obs.push({ trialId: String(start + i), config: g.config, status: 'succeeded', loss: hartmann6.f(g.config), durationSeconds: 1 });
  }
  const best = Math.min(...obs.map((o) => o.loss as number));
  console.log(JSON.stringify({ state: f, regretAtState: Math.min(...s.y) - hartmann6.optimum, oursContinued: best - hartmann6.optimum }));
}
