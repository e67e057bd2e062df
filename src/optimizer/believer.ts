/**
 * Pending trials: Kriging believer (Ginsbourger, Le Riche & Carraro 2010, "Kriging is well-suited
 * to parallelize optimization"). Each running trial's x is added to the GP with the GP's own
 * posterior mean as a fake observation, hyperparameters unchanged. The posterior variance at and
 * near x collapses, so EI there vanishes and the next suggestion goes elsewhere; the mean, and so
 * the incumbent, is unchanged. Applied sequentially, so K suggestions in one call are spread too.
 */
import { GP } from './gp';

export function believe(gp: GP, pending: Float64Array[]): GP {
  let g = gp;
  for (const x of pending) g = g.condition(x, Float64Array.of(g.predict(x).mean));
  return g;
}
