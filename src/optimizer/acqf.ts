/**
 * The acquisition function the optimizer maximizes, in log space:
 *
 *   α(x) = LogEI(x) + log P(success | x) − c · log Ĉ(x)
 *
 * - LogEI from the objective GP (acquisition.ts), with the Kriging-believer GP when trials are
 *   pending (believer.ts).
 * - P(success | x) from the Laplace GP classifier in feasibility.ts (constrained EI, Gardner et
 *   al. 2014, "Bayesian Optimization with Inequality Constraints"); omitted before any crash.
 * - Ĉ(x) = exp(E[log duration(x)]) in GPU-hours from the cost GP, only when cost-aware: EI per
 *   unit cost (Snoek, Larochelle & Adams 2012, "EI per second", §3.2), c = 1.
 * Gradients w.r.t. continuous inputs follow by the chain rule through (μ, σ²) of each GP.
 */
import { GP } from './gp';
import { logEI } from './acquisition';
import { FeasibilityModel } from './feasibility';

export interface AcquisitionFunction {
  value(x: Float64Array): number;
  valueWithGrad(x: Float64Array, dims: ArrayLike<number>): { value: number; grad: Float64Array };
}

export class LogAcquisition implements AcquisitionFunction {
  constructor(
    private readonly objective: GP,
    /** Best observed value, standardized units of the objective GP. */
    private readonly best: number,
    private readonly feasibility?: FeasibilityModel,
    private readonly cost?: GP,
  ) {}

  value(x: Float64Array): number {
    const p = this.objective.predict(x);
    let v = logEI(p.mean, p.variance, this.best).value;
    if (this.feasibility) v += this.feasibility.logProbSuccess(x).value;
    if (this.cost) v -= this.cost.toRaw(this.cost.predict(x).mean);
    return Number.isFinite(v) ? v : -Infinity;
  }

  valueWithGrad(x: Float64Array, dims: ArrayLike<number>): { value: number; grad: Float64Array } {
    const d = x.length;
    const grad = new Float64Array(d);
    const p = this.objective.predictWithGrad(x, dims);
    const ei = logEI(p.mean, p.variance, this.best);
    let v = ei.value;
    for (let j = 0; j < dims.length; j++) {
      const k = dims[j] as number;
      grad[k] = ei.dMean * (p.dMean[k] as number) + ei.dVariance * (p.dVariance[k] as number);
    }
    if (this.feasibility) {
      const pf = this.feasibility.logProbSuccess(x, dims);
      v += pf.value;
      for (let j = 0; j < dims.length; j++) {
        const k = dims[j] as number;
        grad[k] = (grad[k] as number) + (pf.grad[k] as number);
      }
    }
    if (this.cost) {
      const c = this.cost.predictWithGrad(x, dims);
      v -= this.cost.toRaw(c.mean);
      for (let j = 0; j < dims.length; j++) {
        const k = dims[j] as number;
        grad[k] = (grad[k] as number) - this.cost.yStd * (c.dMean[k] as number);
      }
    }
    if (!Number.isFinite(v) || !grad.every(Number.isFinite)) return { value: -Infinity, grad: new Float64Array(d) };
    return { value: v, grad };
  }
}
