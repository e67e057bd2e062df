/**
 * suggest(): the optimizer's one entry point. Step A version: initial configs first, then seeded
 * random feasible samples. (The GP path replaces the random fill.)
 */
import { Config } from '../domain';
import { Rng, configKey, isFeasible, sampleFeasibleConfig } from '../space';
import { SuggestRequest, Suggestion } from './types';

export function suggest(req: SuggestRequest): Suggestion[] {
  const { space } = req;
  const count = Math.max(0, Math.floor(req.count));
  const seen = new Set<string>();
  for (const o of req.observations) seen.add(configKey(space, o.config));
  for (const p of req.pending) seen.add(configKey(space, p));
  const out: Suggestion[] = [];
  const take = (config: Config, source: Suggestion['source']) => {
    seen.add(configKey(space, config));
    out.push({ config, source });
  };
  for (const c of req.initialConfigs ?? []) {
    if (out.length >= count) break;
    if (!isFeasible(space, c) || seen.has(configKey(space, c))) continue;
    take({ ...c }, 'initial');
  }
  const rng = new Rng(req.seed ^ (req.observations.length * 0x9e3779b1) ^ (req.pending.length * 0x85ebca6b));
  let misses = 0;
  while (out.length < count && misses < 1000) {
    const c = sampleFeasibleConfig(space, rng);
    if (seen.has(configKey(space, c))) {
      misses++;
      continue;
    }
    take(c, 'random');
  }
  return out;
}
