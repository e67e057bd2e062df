import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LaplaceClassifier, fitFeasibility } from '../../src/optimizer/feasibility';
import { normalCdf } from '../../src/optimizer/acquisition';
import { Rng } from '../../src/space';
import { centralDiff } from '../helpers/numeric';

test('one-point Laplace classifier: mode solves f = s·y·φ(f)/Φ(yf), prediction is Φ(μ/√(1+σ²))', () => {
  const s = 4;
  const c = LaplaceClassifier.fit(Float64Array.of(0.5), 1, 1, new Uint8Array(1), Float64Array.of(-1), { invSqLengthscales: Float64Array.of(1), scale: s, noiseVar: 0 });
  assert.ok(c);
  // Solve f = −s φ(f)/Φ(−f) by bisection for the reference mode.
  const phi = (f: number) => Math.exp(-0.5 * f * f) / Math.sqrt(2 * Math.PI);
  let lo = -10;
  let hi = 0;
  for (let i = 0; i < 200; i++) {
    const m = (lo + hi) / 2;
    if (m + (s * phi(m)) / normalCdf(-m) > 0) hi = m;
    else lo = m;
  }
  const f = (lo + hi) / 2;
  const r = phi(f) / normalCdf(-f);
  const W = r * r - f * r;
  const variance = s - (s * s * W) / (1 + W * s); // k** − k W^½ B⁻¹ W^½ k
  const expected = Math.log(normalCdf(f / Math.sqrt(1 + variance)));
  const got = c.logProbSuccess(Float64Array.of(0.5)).value;
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
});

test('P(success) is low at and around crashes, high around successes, and its gradient is right', () => {
  const rng = new Rng(4);
  const xs: Float64Array[] = [];
  const crashed: boolean[] = [];
  for (let i = 0; i < 40; i++) {
    const x = Float64Array.of(rng.random(), rng.random());
    xs.push(x);
    crashed.push((x[0] as number) > 0.6);
  }
  const m = fitFeasibility(xs, crashed, 2, new Uint8Array(2));
  assert.ok(m);
  const p = (a: number, b: number) => Math.exp(m.logProbSuccess(Float64Array.of(a, b)).value);
  assert.ok(p(0.9, 0.5) < 0.2, `crash side ${p(0.9, 0.5)}`);
  assert.ok(p(0.2, 0.5) > 0.8, `safe side ${p(0.2, 0.5)}`);
  assert.ok(p(0.45, 0.5) > p(0.75, 0.5));
  const x = Float64Array.of(0.55, 0.3);
  const g = m.logProbSuccess(x, [0, 1]);
  for (const k of [0, 1]) {
    const fd = centralDiff((z) => m.logProbSuccess(z).value, x, k);
    assert.ok(Math.abs((g.grad[k] as number) - fd) < 1e-5 * Math.max(1, Math.abs(fd)), `∂/∂x_${k}: ${g.grad[k]} vs ${fd}`);
  }
  assert.equal(fitFeasibility(xs, xs.map(() => false), 2, new Uint8Array(2)), undefined, 'no crash, no model');
});
