import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Config, Observation } from '../../src/domain';
import { N_INITIAL, Study, parameterImportance, runSuggestCommand, suggest } from '../../src/optimizer';
import { mixSeed } from '../../src/optimizer/suggest';
import { NAMED_INITIAL_CONFIGS, Rng, SearchSpace, configKey, narrowSpace, sampleFeasibleConfig, seedSearchSpace, validateConfig } from '../../src/space';

const space = seedSearchSpace();
const named = NAMED_INITIAL_CONFIGS.map((n) => ({ ...n.config }));

/** Synthetic loss on the seed space: best near lr 3e-5, r 16, diffusion 1.5. */
function loss(c: Config): number {
  return (Math.log(c.learning_rate as number) - Math.log(3e-5)) ** 2 + (((c.lora_r as number) - 16) / 24) ** 2 + ((c.diffusion_loss_weight as number) - 1.5) ** 2;
}

function history(n: number, seed: number, crash?: (c: Config) => boolean): Observation[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const config = sampleFeasibleConfig(space, rng);
    const crashed = crash?.(config) ?? false;
    return { trialId: `t${i}`, config, status: crashed ? 'infeasible' : 'succeeded', loss: crashed ? null : loss(config), durationSeconds: 3600 } as Observation;
  });
}

test('constraints are never violated: 40 asynchronous ask/tell rounds with 3 pending, then batches', () => {
  const study = new Study({ space, seed: 4, initialConfigs: named });
  const asked = study.ask(3);
  const sources = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const done = asked.shift();
    assert.ok(done);
    study.tell({ trialId: done.trialId, config: done.config, status: 'succeeded', loss: loss(done.config), durationSeconds: 100 });
    const [next] = study.ask(1);
    assert.ok(next);
    assert.deepEqual(validateConfig(space, next.config), [], JSON.stringify(next));
    sources.add(next.source);
    asked.push(next);
  }
  assert.deepEqual([...sources].sort(), ['gp', 'initial', 'sobol']);
  const batch = suggest({ space, observations: [...study.observations], pending: study.pending, count: 6, seed: 1 });
  assert.equal(batch.length, 6);
  const keys = new Set([...study.observations.map((o) => configKey(space, o.config)), ...study.pending.map((c) => configKey(space, c))]);
  for (const s of batch) {
    assert.deepEqual(validateConfig(space, s.config), []);
    assert.ok(!keys.has(configKey(space, s.config)), 'no repeat of an observed or pending config');
    keys.add(configKey(space, s.config));
  }
  const best = study.best();
  assert.ok(best && (best.loss as number) < 0.3, `best loss ${best?.loss}`);
});

test('deterministic for a seed and history; a different seed gives different suggestions', () => {
  const obs = history(25, 1);
  const pending = [named[0] as Config];
  const a = suggest({ space, observations: obs, pending, count: 3, seed: 11 });
  const b = suggest({ space, observations: obs, pending, count: 3, seed: 11 });
  const c = suggest({ space, observations: obs, pending, count: 3, seed: 12 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((s) => s.config), c.map((s) => s.config));
  assert.ok(a.every((s) => s.source === 'gp'));
  const early = suggest({ space, observations: obs.slice(0, 3), pending: [], count: 4, seed: 5 });
  assert.deepEqual(early, suggest({ space, observations: obs.slice(0, 3), pending: [], count: 4, seed: 5 }));
});

test('mixSeed: nearby seeds and trial counts give unrelated generator seeds', () => {
  // Regression: mixSeed used to depend on seed ^ trials only, so seed 1 after 0 trials drew the
  // stream of seed 0 after 1 trial, and random fills of seeds 0..15 were permutations of each other.
  const seen = new Set<number>();
  for (let seed = 0; seed < 32; seed++) for (let a = 0; a < 32; a++) for (let b = 0; b < 4; b++) seen.add(mixSeed(seed, a, b));
  assert.equal(seen.size, 32 * 32 * 4);
  assert.notEqual(mixSeed(0, 1, 0), mixSeed(1, 0, 0));
});

test('pending trials and batch members are spread apart (Kriging believer)', () => {
  const obs = history(30, 2);
  const out = suggest({ space, observations: obs, pending: [], count: 4, seed: 3 });
  const keys = new Set(out.map((s) => configKey(space, s.config)));
  assert.equal(keys.size, 4);
  // The first suggestion, if it were still running, is not suggested again.
  const again = suggest({ space, observations: obs, pending: [out[0]?.config as Config], count: 1, seed: 3 });
  assert.notEqual(configKey(space, again[0]?.config as Config), configKey(space, out[0]?.config as Config));
});

test('NaN, infinite, duplicate, malformed and empty inputs never produce invalid output', () => {
  const base = history(15, 3);
  const dup = base[0] as Observation;
  const bad: Observation[] = [
    ...base,
    { ...dup, trialId: 'd1' }, { ...dup, trialId: 'd2' }, { ...dup, trialId: 'd3', loss: (dup.loss as number) + 1 },
    { ...dup, trialId: 'nan', loss: Number.NaN }, { ...dup, trialId: 'inf', loss: Infinity }, { ...dup, trialId: 'ninf', loss: -Infinity },
    { ...dup, trialId: 'badcfg', config: { ...dup.config, learning_rate: Number.NaN } },
    { ...dup, trialId: 'unknown', config: { ...dup.config, per_device_train_batch_size: 3 } },
    { ...dup, trialId: 'missing', config: { learning_rate: 2e-5 } },
    { ...dup, trialId: 'dur', durationSeconds: Number.NaN },
    { ...dup, trialId: 'c', status: 'cancelled', loss: null },
  ];
  const pending = [{ learning_rate: Number.NaN } as Config, dup.config];
  for (const costAware of [false, true]) {
    const out = suggest({ space, observations: bad, pending, count: 3, seed: 9, costAware });
    assert.equal(out.length, 3);
    for (const s of out) {
      assert.deepEqual(validateConfig(space, s.config), []);
      assert.ok(Object.values(s.config).every((v) => typeof v === 'string' || Number.isFinite(v)));
      assert.ok(s.acquisition === undefined || Number.isFinite(s.acquisition), `acquisition ${s.acquisition}`);
    }
  }
  // Every loss identical, every trial crashed, and an empty history.
  const flat = base.map((o) => ({ ...o, loss: 1 }));
  const crashed = base.map((o) => ({ ...o, status: 'failed' as const, loss: null }));
  for (const obs of [flat, crashed, []]) {
    const out = suggest({ space, observations: obs, pending: [], count: 2, seed: 1 });
    assert.equal(out.length, 2);
    for (const s of out) assert.deepEqual(validateConfig(space, s.config), []);
  }
  assert.deepEqual(suggest({ space, observations: [], pending: [], count: 0, seed: 1 }), []);
});

test('initial design: named configs, then Sobol up to N_INITIAL trials, then the GP', () => {
  const out = suggest({ space, observations: [], pending: [], count: N_INITIAL + 2, seed: 1, initialConfigs: named });
  assert.deepEqual(out.map((s) => s.source), [...Array(5).fill('initial'), ...Array(N_INITIAL - 5).fill('sobol'), 'sobol', 'sobol']);
  const obs = out.slice(0, N_INITIAL).map((s, i) => ({ trialId: `t${i}`, config: s.config, status: 'succeeded' as const, loss: loss(s.config), durationSeconds: 10 }));
  assert.equal(suggest({ space, observations: obs, pending: [], count: 1, seed: 1, initialConfigs: named })[0]?.source, 'gp');
});

test('the feasibility model steers away from a crash region next to the optimum', () => {
  // Crashes when batch size 8, or when lora_r > 40; the loss optimum (r 16) is outside it.
  const crash = (c: Config) => c.per_device_train_batch_size === 8 || (c.lora_r as number) > 40;
  const study = new Study({ space, seed: 2, observations: history(20, 7, crash) });
  let inCrash = 0;
  for (let i = 0; i < 12; i++) {
    const [t] = study.ask(1);
    assert.ok(t);
    const crashed = crash(t.config);
    if (crashed) inCrash++;
    study.tell({ trialId: t.trialId, config: t.config, status: crashed ? 'infeasible' : 'succeeded', loss: crashed ? null : loss(t.config), durationSeconds: 1 });
  }
  assert.ok(inCrash <= 2, `${inCrash} of 12 suggestions crashed`);
});

test('cost-aware search prefers cheaper configs when the loss is flat', () => {
  // Loss ignores ddpm_batch_mul; duration grows 4× from ddpm 2 to 8.
  const rng = new Rng(5);
  const obs: Observation[] = Array.from({ length: 30 }, (_, i) => {
    const config = sampleFeasibleConfig(space, rng);
    return { trialId: `t${i}`, config, status: 'succeeded', loss: loss(config), durationSeconds: 1800 * (config.ddpm_batch_mul as number) };
  });
  const mean = (costAware: boolean) => {
    const out = suggest({ space, observations: obs, pending: [], count: 4, seed: 1, costAware });
    return out.reduce((a, s) => a + (s.config.ddpm_batch_mul as number), 0) / out.length;
  };
  const cheap = mean(true);
  assert.ok(cheap <= 3.5, `cost-aware mean ddpm_batch_mul ${cheap}`);
});

test('an exhausted space returns fewer suggestions than asked', () => {
  const tiny: SearchSpace = narrowSpace(space, {
    fix: { learning_rate: 2e-5, lora_r: 16, lora_alpha: 32, diffusion_loss_weight: 1, ce_loss_weight: 0.04, voice_prompt_drop_rate: 0, warmup_ratio: 0.05, max_grad_norm: 1, ddpm_batch_mul: 4 },
    exclude: { per_device_train_batch_size: [6, 8], gradient_accumulation_steps: [16, 24, 48] },
  });
  // Feasible: (2, 32), (2, 64), (4, 32), (4, 64) → 4 configs.
  const out = suggest({ space: tiny, observations: [], pending: [], count: 10, seed: 1 });
  assert.equal(out.length, 4);
  assert.equal(new Set(out.map((s) => configKey(tiny, s.config))).size, 4);
});

test('parameterImportance ranks the parameters the loss depends on', () => {
  const imp = parameterImportance(space, history(40, 8));
  const total = Object.values(imp).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-9);
  const ranked = Object.entries(imp).sort((a, b) => b[1] - a[1]).map(([k]) => k);
  assert.ok(ranked.slice(0, 3).includes('learning_rate') && ranked.slice(0, 3).includes('diffusion_loss_weight'), ranked.join(','));
  const none = parameterImportance(space, []);
  assert.ok(Math.abs((none.learning_rate as number) - 1 / 11) < 1e-12);
});

test('runSuggestCommand runs the GP path on JSON input', () => {
  const obs = history(12, 9);
  const out = JSON.parse(runSuggestCommand(JSON.stringify({ observations: obs, pending: [], count: 2, seed: 3 }))) as { suggestions: { config: Config; source: string; acquisition: number }[] };
  assert.equal(out.suggestions.length, 2);
  for (const s of out.suggestions) {
    assert.equal(s.source, 'gp');
    assert.ok(Number.isFinite(s.acquisition));
    assert.deepEqual(validateConfig(space, s.config), []);
  }
  assert.throws(() => runSuggestCommand(JSON.stringify({ observations: [{ config: {}, status: 'succeeded', loss: 1, durationSeconds: -1 }], count: 1, seed: 1 })), /observations\.0\.durationSeconds/);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1.5, seed: 1 })), /count: /);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1, seed: 1, pending: [{ a: null }] })), /pending\.0\.a/);
});
