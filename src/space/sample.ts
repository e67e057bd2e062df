/**
 * Seeded sampling of feasible configs: each parameter drawn from its domain (log-uniform where
 * declared), constrained components redrawn until their constraints hold (rejection sampling).
 * For the seed space about 1 in 3 draws of (lora_r, lora_alpha) and 14 in 20 of
 * (batch, accumulation) are accepted, so this is cheap.
 */
import { Config } from '../domain';
import { Rng } from './rng';
import { ParamSpec, SearchSpace } from './schema';
import { constraintComponents, constraintViolation, findFeasiblePoint, sampleValue } from './validate';

export function sampleFeasibleConfig(space: SearchSpace, rng: Rng, maxTries = 10_000): Config {
  const config: Config = {};
  for (const [name, spec] of Object.entries(space.params)) config[name] = sampleValue(spec, rng);
  for (const comp of constraintComponents(space)) {
    let ok = false;
    for (let t = 0; t < maxTries && !ok; t++) {
      if (t > 0) for (const p of comp.params) config[p] = sampleValue(space.params[p] as ParamSpec, rng);
      ok = comp.constraints.every((c) => constraintViolation(c, config) === null);
    }
    if (!ok) {
      // Tiny feasible region: fall back to the deterministic search (parseSearchSpace guarantees one exists).
      const fallback = findFeasiblePoint(space);
      if (!fallback) throw new Error('search space has no feasible point');
      for (const p of comp.params) config[p] = fallback[p] as number | string;
    }
  }
  return config;
}
