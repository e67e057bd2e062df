import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NAMED_INITIAL_CONFIGS, Rng, isFeasible, narrowSpace, parseSearchSpace, sampleFeasibleConfig, seedSearchSpace, validateConfig,
} from '../../src/space';

const conservative = NAMED_INITIAL_CONFIGS[0]?.config ?? {};

test('seed space parses and has the seed ranges', () => {
  const s = parseSearchSpace(seedSearchSpace(), 'seed');
  assert.deepEqual(s.params.learning_rate, { type: 'float', low: 1e-5, high: 5e-5, log: true });
  assert.deepEqual(s.params.per_device_train_batch_size, { type: 'categorical', choices: [2, 4, 6, 8] });
  assert.equal(Object.keys(s.params).length, 11);
  assert.equal(s.constraints.length, 2);
});

test('named initial configs: order, conservative and aggressive exact, all feasible', () => {
  assert.deepEqual(NAMED_INITIAL_CONFIGS.map((n) => n.name), ['conservative', 'aggressive', 'high_capacity', 'fast_converge', 'balanced']);
  assert.deepEqual({ ...conservative }, {
    learning_rate: 2.5e-5, lora_r: 16, lora_alpha: 32, per_device_train_batch_size: 4, gradient_accumulation_steps: 32,
    diffusion_loss_weight: 1.4, ce_loss_weight: 0.04, voice_prompt_drop_rate: 0.2, warmup_ratio: 0.03, max_grad_norm: 0.8, ddpm_batch_mul: 4,
  });
  assert.deepEqual({ ...NAMED_INITIAL_CONFIGS[1]?.config }, {
    learning_rate: 4e-5, lora_r: 32, lora_alpha: 64, per_device_train_batch_size: 6, gradient_accumulation_steps: 24,
    diffusion_loss_weight: 1.6, ce_loss_weight: 0.06, voice_prompt_drop_rate: 0.1, warmup_ratio: 0.05, max_grad_norm: 1.0, ddpm_batch_mul: 6,
  });
  const space = seedSearchSpace();
  for (const n of NAMED_INITIAL_CONFIGS) assert.deepEqual(validateConfig(space, n.config), [], n.name);
  const lrs = NAMED_INITIAL_CONFIGS.map((n) => n.config.learning_rate).sort();
  assert.deepEqual(lrs, [2e-5, 2.5e-5, 3e-5, 3.5e-5, 4e-5]);
});

test('invalid spaces are rejected with the offending path named', () => {
  const bad = seedSearchSpace();
  bad.params.learning_rate = { type: 'float', low: 0, high: 5e-5, log: true };
  assert.throws(() => parseSearchSpace(bad, 'stage1.yaml'), {
    message: 'search space (stage1.yaml): params.learning_rate.low: must be > 0 for a log-scale parameter',
  });
  const cases: [unknown, RegExp][] = [
    [{ params: { a: { type: 'float', low: 2, high: 1 } } }, /params\.a\.high: must be > low/],
    [{ params: { a: { type: 'int', low: 1.5, high: 3 } } }, /params\.a\.low/],
    [{ params: { a: { type: 'categorical', choices: [] } } }, /params\.a\.choices: needs at least one choice/],
    [{ params: { a: { type: 'categorical', choices: [1, 1] } } }, /params\.a\.choices\.1: duplicate/],
    [{ params: { a: { type: 'bogus' } } }, /params\.a\.type/],
    [{ params: { a: { type: 'float', low: 0, high: 1, extra: 1 } } }, /params\.a/],
    [{ params: {} }, /params: needs at least one parameter/],
    [{ params: { a: { type: 'int', low: 1, high: 3 } }, constraints: [{ type: 'product_range', params: ['a', 'zz'], min: 1 }] }, /constraints\.0\.params\.1: unknown parameter "zz"/],
    [{ params: { a: { type: 'int', low: 0, high: 3 }, b: { type: 'int', low: 1, high: 3 } }, constraints: [{ type: 'ratio_range', numerator: 'b', denominator: 'a', min: 1 }] }, /constraints\.0\.denominator: .*must be > 0/],
    [{ params: { a: { type: 'categorical', choices: ['x', 'y'] } }, constraints: [{ type: 'product_range', params: ['a'], min: 1 }] }, /constraints\.0\.params\.0: .*must be numeric/],
    [{ params: { a: { type: 'int', low: 1, high: 3 } }, constraints: [{ type: 'product_range', params: ['a'] }] }, /constraints\.0\.min: set min, max, or both/],
    ['nope', /search space: /],
  ];
  for (const [input, re] of cases) assert.throws(() => parseSearchSpace(input), re, JSON.stringify(input));
});

test('a space with no feasible point is rejected', () => {
  const s = seedSearchSpace();
  s.constraints[0] = { type: 'product_range', params: ['per_device_train_batch_size', 'gradient_accumulation_steps'], min: 600 };
  assert.throws(() => parseSearchSpace(s), /constraints: no feasible point/);
  const r = seedSearchSpace();
  r.params.lora_alpha = { type: 'int', low: 16, high: 20 };
  r.params.lora_r = { type: 'int', low: 12, high: 64 };
  assert.throws(() => parseSearchSpace(r), /no feasible point/);
  r.params.lora_r = { type: 'int', low: 5, high: 64 }; // alpha 16..20, r 5..10 → feasible (e.g. 16/8)
  assert.doesNotThrow(() => parseSearchSpace(r));
});

test('validateConfig names each problem; isFeasible agrees', () => {
  const s = seedSearchSpace();
  assert.deepEqual(validateConfig(s, conservative), []);
  const probs = validateConfig(s, { ...conservative, learning_rate: 1e-3, lora_r: 16.5, per_device_train_batch_size: 3, extra: 1 });
  assert.equal(probs.length, 4);
  assert.match(probs.join('\n'), /learning_rate: 0\.001 is outside/);
  assert.match(probs.join('\n'), /lora_r: must be an integer/);
  assert.match(probs.join('\n'), /per_device_train_batch_size: 3 is not one of/);
  assert.match(probs.join('\n'), /extra: unknown parameter/);
  const { ddpm_batch_mul: _drop, ...missing } = conservative;
  assert.deepEqual(validateConfig(s, missing), ['ddpm_batch_mul: missing']);
  assert.match(validateConfig(s, { ...conservative, per_device_train_batch_size: 2, gradient_accumulation_steps: 16 }).join(), /below 64/);
  assert.match(validateConfig(s, { ...conservative, per_device_train_batch_size: 8, gradient_accumulation_steps: 64 }).join(), /above 256/);
  assert.match(validateConfig(s, { ...conservative, lora_r: 8, lora_alpha: 40 }).join(), /lora_alpha \/ lora_r = 5 is above 4/);
  assert.equal(isFeasible(s, { ...conservative, per_device_train_batch_size: 2, gradient_accumulation_steps: 32 }), true); // 64 exactly
  assert.equal(isFeasible(s, { ...conservative, learning_rate: Number.NaN }), false);
  assert.equal(isFeasible(s, { ...conservative, per_device_train_batch_size: '4' }), false);
});

test('sampled configs are always valid and feasible, and deterministic for a seed', () => {
  const s = seedSearchSpace();
  const rng = new Rng(7);
  for (let i = 0; i < 2000; i++) {
    const c = sampleFeasibleConfig(s, rng);
    assert.deepEqual(validateConfig(s, c), [], JSON.stringify(c));
  }
  const a = sampleFeasibleConfig(s, new Rng(42));
  const b = sampleFeasibleConfig(s, new Rng(42));
  const c = sampleFeasibleConfig(s, new Rng(43));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('narrowSpace: narrow, fix, exclude, add, and rejections', () => {
  const s = seedSearchSpace();
  const n = narrowSpace(s, {
    narrow: { learning_rate: { low: 2e-5 }, lora_r: { low: 16, high: 16 } },
    fix: { ddpm_batch_mul: 4 },
    exclude: { per_device_train_batch_size: [8] },
    add: { weight_decay: { type: 'float', low: 0, high: 0.1 } },
  }, 'stage2.yaml');
  assert.deepEqual(n.params.learning_rate, { type: 'float', low: 2e-5, high: 5e-5, log: true });
  assert.deepEqual(n.params.lora_r, { type: 'fixed', value: 16 });
  assert.deepEqual(n.params.ddpm_batch_mul, { type: 'fixed', value: 4 });
  assert.deepEqual(n.params.per_device_train_batch_size, { type: 'categorical', choices: [2, 4, 6] });
  assert.ok(n.params.weight_decay);
  assert.deepEqual(s.params.per_device_train_batch_size, { type: 'categorical', choices: [2, 4, 6, 8] }, 'input not mutated');
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++) assert.ok(isFeasible(n, sampleFeasibleConfig(n, rng)));

  assert.throws(() => narrowSpace(s, { narrow: { learning_rate: { low: 1e-6 } } }, 'stage2.yaml'), /space overrides \(stage2\.yaml\): narrow\.learning_rate\.low: .*cannot widen/);
  assert.throws(() => narrowSpace(s, { narrow: { nope: { low: 1 } } }), /narrow\.nope: unknown parameter/);
  assert.throws(() => narrowSpace(s, { exclude: { per_device_train_batch_size: [2, 4, 6, 8] } }), /exclude\.per_device_train_batch_size: would exclude every choice/);
  assert.throws(() => narrowSpace(s, { exclude: { per_device_train_batch_size: [3] } }), /exclude\.per_device_train_batch_size: 3 is not one of/);
  assert.throws(() => narrowSpace(s, { fix: { lora_r: 100 } }), /fix\.lora_r: 100 is not in/);
  assert.throws(() => narrowSpace(s, { add: { lora_r: { type: 'int', low: 1, high: 2 } } }), /add\.lora_r: parameter already exists/);
  assert.throws(() => narrowSpace(s, { fixx: {} }), /space overrides: .*fixx/);
  // Leaves no feasible point: batch 2 only and accumulation 16 only → 32 < 64.
  assert.throws(() => narrowSpace(s, { exclude: { per_device_train_batch_size: [4, 6, 8] }, fix: { gradient_accumulation_steps: 16 } }), /no feasible point/);
});
