import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GP, KernelParams, negLogPosterior, pairwiseSqDiffs } from '../../src/optimizer/gp';
import { matern52 } from '../../src/optimizer/kernel';
import { choleskyWithJitter, cholInverse } from '../../src/optimizer/linalg';
import { Rng } from '../../src/space';
import { centralDiff } from '../helpers/numeric';

const close = (a: number, b: number, tol: number, msg?: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg ?? ''} ${a} vs ${b}`);

test('Matérn-5/2 closed form at a few distances', () => {
  close(matern52(0), 1, 1e-15);
  // r = 1: (1 + √5 + 5/3) e^{−√5}
  close(matern52(1), (1 + Math.sqrt(5) + 5 / 3) * Math.exp(-Math.sqrt(5)), 1e-15);
  close(matern52(4), (1 + 2 * Math.sqrt(5) + 20 / 3) * Math.exp(-2 * Math.sqrt(5)), 1e-15);
});

test('one-point posterior equals the analytic formula', () => {
  const p: KernelParams = { invSqLengthscales: Float64Array.of(4, 0.5), scale: 1.7, noiseVar: 0.3 };
  const x0 = Float64Array.of(0.2, 0.6);
  const y0 = 1.3;
  const gp = GP.withParams(x0, 1, 2, new Uint8Array(2), Float64Array.of(y0), p);
  const x = Float64Array.of(0.5, 0.1);
  const r2 = 4 * 0.3 * 0.3 + 0.5 * 0.5 * 0.5;
  const k = 1.7 * matern52(r2);
  const pred = gp.predict(x);
  close(pred.mean, (k * y0) / (1.7 + 0.3), 1e-12, 'mean');
  close(pred.variance, 1.7 - (k * k) / (1.7 + 0.3), 1e-12, 'variance');
});

test('posterior at training points with tiny noise reproduces the targets', () => {
  const rng = new Rng(3);
  const n = 15;
  const d = 3;
  const X = Float64Array.from({ length: n * d }, () => rng.random());
  const y = Float64Array.from({ length: n }, () => rng.normal());
  const gp = GP.withParams(X, n, d, new Uint8Array(d), y, { invSqLengthscales: Float64Array.of(2, 2, 2), scale: 1, noiseVar: 1e-10 });
  for (let i = 0; i < n; i++) {
    const pred = gp.predict(X.slice(i * d, i * d + d));
    close(pred.mean, y[i] as number, 1e-5, `mean at ${i}`);
    assert.ok(pred.variance < 1e-6, `variance at ${i}: ${pred.variance}`);
  }
});

test('log marginal likelihood matches the closed form for two points', () => {
  const p: KernelParams = { invSqLengthscales: Float64Array.of(3), scale: 0.8, noiseVar: 0.05 };
  const X = Float64Array.of(0.1, 0.7);
  const y = Float64Array.of(0.4, -1.1);
  const gp = GP.withParams(X, 2, 1, new Uint8Array(1), y, p);
  const k12 = 0.8 * matern52(3 * 0.36);
  const a = 0.85;
  const det = a * a - k12 * k12;
  const quad = (a * 0.4 * 0.4 - 2 * k12 * 0.4 * -1.1 + a * 1.1 * 1.1) / det;
  close(gp.logMarginalLikelihood(), -0.5 * quad - 0.5 * Math.log(det) - Math.log(2 * Math.PI), 1e-12);
});

test('analytic gradient of the negative log posterior matches finite differences', () => {
  const rng = new Rng(5);
  const n = 12;
  const d = 3;
  const X = Float64Array.from({ length: n * d }, () => rng.random());
  const isCat = Uint8Array.of(0, 1, 0);
  for (let i = 0; i < n; i++) X[i * d + 1] = Math.floor((X[i * d + 1] as number) * 3);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(6 * (X[i * d] as number)) + 0.3 * (X[i * d + 1] as number));
  const deltas = pairwiseSqDiffs(X, n, d, isCat);
  const theta = Float64Array.of(0.3, -0.5, 1.1, 0.2, -3);
  const r = negLogPosterior(theta, deltas, n, d, y);
  for (let k = 0; k < theta.length; k++) {
    const fd = centralDiff((t) => negLogPosterior(t, deltas, n, d, y).value, theta, k);
    close(r.grad[k] as number, fd, 1e-5, `θ_${k}`);
  }
});

test('predictWithGrad matches finite differences of predict', () => {
  const rng = new Rng(9);
  const n = 10;
  const d = 2;
  const X = Float64Array.from({ length: n * d }, () => rng.random());
  const y = Float64Array.from({ length: n }, (_, i) => (X[i * d] as number) ** 2 - (X[i * d + 1] as number));
  const gp = GP.fit(X, n, d, new Uint8Array(d), y);
  const x = Float64Array.of(0.37, 0.61);
  const g = gp.predictWithGrad(x, [0, 1]);
  for (const k of [0, 1]) {
    close(g.dMean[k] as number, centralDiff((z) => gp.predict(z).mean, x, k), 1e-5, `dμ/dx_${k}`);
    close(g.dVariance[k] as number, centralDiff((z) => gp.predict(z).variance, x, k), 1e-5, `dσ²/dx_${k}`);
  }
});

test('the fit finds the relevant dimension (shorter lengthscale)', () => {
  const rng = new Rng(11);
  const n = 40;
  const d = 3;
  const X = Float64Array.from({ length: n * d }, () => rng.random());
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(8 * (X[i * d + 1] as number)));
  const gp = GP.fit(X, n, d, new Uint8Array(d), y);
  const [r0, r1, r2] = gp.params.invSqLengthscales as unknown as [number, number, number];
  assert.ok(r1 > 10 * r0 && r1 > 10 * r2, `ρ = ${r0}, ${r1}, ${r2}`);
  assert.ok(gp.logMarginalLikelihood() > GP.withParams(gp.X, n, d, gp.isCat, gp.y, { invSqLengthscales: Float64Array.of(1, 1, 1), scale: 1, noiseVar: 1 }).logMarginalLikelihood());
});

test("prior mean 'worst': far from the data the GP predicts the worst observed value, at the data the targets", () => {
  const d = 2;
  const X = Float64Array.of(0.1, 0.1, 0.2, 0.3, 0.4, 0.2, 0.3, 0.4);
  const yRaw = Float64Array.of(3, 1, 2, 5);
  const worst = GP.fit(X, 4, d, new Uint8Array(d), yRaw, { priorMean: 'worst', fixedNoise: 1e-6 });
  const mean = GP.fit(X, 4, d, new Uint8Array(d), yRaw, { fixedNoise: 1e-6 });
  assert.ok(Array.from(worst.y).every((v) => v <= 0) && Math.max(...worst.y) === 0, `standardized y ${Array.from(worst.y)}`);
  assert.equal(worst.yStd, mean.yStd);
  // Both reproduce the observations (noise 1e-6)…
  for (let i = 0; i < 4; i++) {
    const x = X.subarray(i * d, i * d + d);
    close(worst.toRaw(worst.predict(x).mean), yRaw[i] as number, 1e-3, 'worst at data');
    close(mean.toRaw(mean.predict(x).mean), yRaw[i] as number, 1e-3, 'mean at data');
  }
  // …but far away the first reverts to the worst value (5), the second to the average (2.75).
  const far = Float64Array.of(1e3, 1e3);
  close(worst.toRaw(worst.predict(far).mean), 5, 1e-9, 'worst far');
  close(mean.toRaw(mean.predict(far).mean), 2.75, 1e-9, 'mean far');
});

test('noise-free data: the fitted noise goes below 1e-6 (the floor is 1e-8), so near-equal losses stay apart', () => {
  // A bowl with a 100× range, plus points within 0.01 of its minimum whose losses differ by ~1e-4 of the spread.
  const rng = new Rng(3);
  const d = 2;
  const pts: number[][] = Array.from({ length: 30 }, () => [rng.random(), rng.random()]);
  for (let i = 0; i < 5; i++) pts.push([0.3 + 0.01 * (rng.random() - 0.5), 0.6 + 0.01 * (rng.random() - 0.5)]);
  const f = (p: number[]) => 100 * (((p[0] as number) - 0.3) ** 2 + ((p[1] as number) - 0.6) ** 2);
  const X = Float64Array.from(pts.flat());
  const yRaw = Float64Array.from(pts, f);
  const gp = GP.fit(X, pts.length, d, new Uint8Array(d), yRaw, { priorMean: 'worst' });
  assert.ok(gp.params.noiseVar < 1e-6, `noise ${gp.params.noiseVar}`);
  const near = pts.slice(30).map((p, i) => ({ y: f(p), mu: gp.toRaw(gp.predict(X.subarray((30 + i) * d, (31 + i) * d)).mean) }));
  for (const a of near) for (const b of near) if (a.y < b.y) assert.ok(a.mu < b.mu, `order: ${a.y} < ${b.y} but μ ${a.mu} ≥ ${b.mu}`);
});

test('duplicate inputs and constant targets stay finite', () => {
  const d = 2;
  const X = Float64Array.of(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.9);
  for (const y of [Float64Array.of(1, 1, 1, 1), Float64Array.of(1, 2, 3, 1)]) {
    const gp = GP.fit(X, 4, d, new Uint8Array(d), y);
    for (const x of [Float64Array.of(0.5, 0.5), Float64Array.of(0, 1), Float64Array.of(0.2, 0.9)]) {
      const p = gp.predictWithGrad(x, [0, 1]);
      assert.ok(Number.isFinite(p.mean) && Number.isFinite(p.variance) && p.variance > 0, JSON.stringify(p));
      assert.ok(p.dMean.every(Number.isFinite) && p.dVariance.every(Number.isFinite));
    }
  }
  const empty = GP.fit(new Float64Array(0), 0, d, new Uint8Array(d), new Float64Array(0));
  assert.deepEqual(empty.predict(Float64Array.of(0.1, 0.2)), { mean: 0, variance: 1 });
});

test('Cholesky: jitter rescues a singular matrix, non-finite input is refused, inverse is right', () => {
  const ones = new Float64Array(9).fill(1);
  const c = choleskyWithJitter(ones, 3);
  assert.ok(c && c.jitter > 0);
  assert.equal(choleskyWithJitter(Float64Array.of(1, Number.NaN, Number.NaN, 1), 2), null);
  const K = Float64Array.of(4, 2, 0.6, 2, 3, 0.4, 0.6, 0.4, 2);
  const f = choleskyWithJitter(K, 3);
  assert.ok(f && f.jitter === 0);
  const inv = cholInverse(f.L, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += (K[i * 3 + k] as number) * (inv[k * 3 + j] as number);
      close(s, i === j ? 1 : 0, 1e-12);
    }
  }
});
