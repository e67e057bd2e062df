import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpaceTransform } from '../../src/optimizer/transform';
import { ScrambledSobol } from '../../src/optimizer/sobol';
import { NAMED_INITIAL_CONFIGS, Rng, SearchSpace, sampleFeasibleConfig, seedSearchSpace, validateValue } from '../../src/space';

const mixed: SearchSpace = {
  params: {
    lr: { type: 'float', low: 1e-5, high: 5e-5, log: true },
    w: { type: 'float', low: -2, high: 3 },
    r: { type: 'int', low: 8, high: 64 },
    k: { type: 'int', low: 1, high: 1000, log: true },
    bs: { type: 'categorical', choices: [8, 2, 6, 4] },
    opt: { type: 'categorical', choices: ['adam', 'sgd', 'lion'] },
    seed: { type: 'fixed', value: 7 },
  },
  constraints: [],
};

test('encode/decode round trip: discrete values exact, floats to 1e-12', () => {
  const rng = new Rng(1);
  for (const space of [seedSearchSpace(), mixed]) {
    const tf = new SpaceTransform(space);
    const configs = [...Array.from({ length: 300 }, () => sampleFeasibleConfig(space, rng))];
    if (space !== mixed) configs.push(...NAMED_INITIAL_CONFIGS.map((n) => ({ ...n.config })));
    for (const c of configs) {
      const x = tf.encode(c);
      assert.ok(x, JSON.stringify(c));
      const back = tf.decode(x);
      for (const [name, v] of Object.entries(c)) {
        const b = back[name];
        if (typeof v === 'number' && !Number.isInteger(v)) assert.ok(Math.abs((b as number) - v) <= 1e-12 * Math.abs(v), `${name}: ${b} vs ${v}`);
        else assert.equal(b, v, name);
      }
      // Snapping an encoded point leaves it unchanged.
      assert.deepEqual(Array.from(tf.snap(Float64Array.from(x))), Array.from(x));
    }
  }
});

test('decode of any point (outside the cube, NaN, ±Infinity) is a valid config', () => {
  const tf = new SpaceTransform(mixed);
  const rng = new Rng(2);
  const specials = [Number.NaN, Infinity, -Infinity, -5, 7, 0, 1, 0.4999999, 1e300];
  for (let t = 0; t < 500; t++) {
    const x = Float64Array.from({ length: tf.d }, () => (rng.random() < 0.3 ? (specials[rng.int(specials.length)] as number) : rng.random() * 3 - 1));
    const c = tf.decode(x);
    for (const [name, spec] of Object.entries(mixed.params)) assert.deepEqual(validateValue(name, spec, c[name]), [], `${name}=${c[name]} from ${Array.from(x)}`);
  }
});

test('encode rejects unplaceable values; ordinal categoricals are ordered by value', () => {
  const tf = new SpaceTransform(mixed);
  const good = { lr: 2e-5, w: 0, r: 10, k: 5, bs: 4, opt: 'sgd', seed: 7 };
  assert.ok(tf.encode(good));
  assert.equal(tf.encode({ ...good, bs: 5 }), null);
  assert.equal(tf.encode({ ...good, opt: 'rmsprop' }), null);
  assert.equal(tf.encode({ ...good, w: Number.NaN }), null);
  assert.equal(tf.encode({ ...good, lr: 'x' }), null);
  const bs = tf.dims.findIndex((d) => d.name === 'bs');
  assert.deepEqual(Array.from(tf.dims[bs]?.grid ?? []), [0, 1 / 3, 2 / 3, 1]);
  assert.equal(tf.isCat[tf.dims.findIndex((d) => d.name === 'opt')], 1);
  assert.equal(tf.isCat[bs], 0);
  assert.equal(tf.d, 6, 'fixed parameters are not dimensions');
});

test('fromUnit gives every discrete choice equal probability', () => {
  const tf = new SpaceTransform(mixed);
  const rng = new Rng(3);
  const counts = new Map<string, number>();
  const N = 8000;
  for (let i = 0; i < N; i++) {
    const c = tf.decode(tf.fromUnit(Array.from({ length: tf.d }, () => rng.random())));
    counts.set(String(c.opt), (counts.get(String(c.opt)) ?? 0) + 1);
    counts.set(`bs${c.bs}`, (counts.get(`bs${c.bs}`) ?? 0) + 1);
    counts.set(`r${c.r === 8 ? 'lo' : c.r === 64 ? 'hi' : 'mid'}`, (counts.get(`r${c.r === 8 ? 'lo' : c.r === 64 ? 'hi' : 'mid'}`) ?? 0) + 1);
  }
  for (const o of ['adam', 'sgd', 'lion']) assert.ok(Math.abs((counts.get(o) as number) / N - 1 / 3) < 0.03, o);
  for (const b of [2, 4, 6, 8]) assert.ok(Math.abs((counts.get(`bs${b}`) as number) / N - 1 / 4) < 0.03, `bs${b}`);
  assert.ok(Math.abs((counts.get('rlo') as number) / N - 1 / 57) < 0.01, 'int endpoints get a full cell');
});

test('scrambled Sobol: first 2^k points stratify every coordinate, and scrambles differ by seed', () => {
  const s = new ScrambledSobol(12, 5);
  for (const k of [3, 6]) {
    const n = 1 << k;
    for (let j = 0; j < 12; j++) {
      const cells = new Set<number>();
      for (let i = 0; i < n; i++) cells.add(Math.floor((s.point(i)[j] as number) * n));
      assert.equal(cells.size, n, `dim ${j}, 2^${k} points`);
    }
  }
  assert.notDeepEqual(Array.from(new ScrambledSobol(3, 1).point(0)), Array.from(new ScrambledSobol(3, 2).point(0)));
  assert.deepEqual(Array.from(new ScrambledSobol(3, 1).point(9)), Array.from(new ScrambledSobol(3, 1).point(9)));
});
