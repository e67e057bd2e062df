import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyze, loadResults, parameterImportance, spearman, summarizeTrainingLog } from '../../src/analysis';
import { analyzeCommand, type CommandIO } from '../../src/cli/analyze';
import { generateScripts, generateScriptsCommand } from '../../src/cli/generate-scripts';
import { shellQuote } from '../../src/trainer';
import { NAMED_INITIAL_CONFIGS, seedSearchSpace } from '../../src/space';
import { tempDir } from '../helpers/tmp';
import { syntheticObservations, writePipelineResults, writeSeedExperiments } from '../helpers/results';

function captureIO(): CommandIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (t) => void (out += t), stderr: (t) => void (err += t), out: () => out, err: () => err };
}

test('training.log: final train_loss (plain and quoted), last loss otherwise; eval and nan ignored', () => {
  const quoted = summarizeTrainingLog("{'loss': '2.007', 'epoch': '0.1'}\r{'eval_loss': 0.1}\n{'loss': 'nan'}\n{'train_runtime': '12.5', 'train_samples_per_second': '3.4', 'train_loss': '0.73', 'epoch': '3.0'}\n");
  assert.equal(quoted.finalLoss, 0.73);
  assert.equal(quoted.samplesPerSecond, 3.4);
  assert.deepEqual(quoted.lossCurve, [{ step: 10, loss: 2.007 }]);
  const plain = summarizeTrainingLog("{'loss': 0.9, 'epoch': 1}\n{'loss': 0.81, 'epoch': 2}\n{'eval_loss': 0.2, 'epoch': 2}\n", 5);
  assert.equal(plain.finalLoss, 0.81);
  assert.deepEqual(plain.lossCurve.map((p) => p.step), [5, 10]);
  assert.equal(summarizeTrainingLog("{'eval_loss': 0.5}\nno dicts here\n").finalLoss, null);
  assert.equal(summarizeTrainingLog('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2 GiB').cudaOom, true);
});

test('old experiments/ folder: ranking, loss recovered from training.log, OOM, garbage file named in a warning', () => {
  const exp = writeSeedExperiments(tempDir());
  const { trials, warnings } = loadResults(exp);
  assert.equal(trials.length, 4, 'the garbage results.json is skipped');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] as string, /bayesopt_stage1_balanced_20250101_120004[/\\]results\.json: not valid JSON/);
  const hc = trials.find((t) => t.trialId.includes('high_capacity'));
  assert.equal(hc?.finalLoss, 0.7123);
  assert.equal(hc?.lossSource, 'training.log');
  assert.equal(hc?.status, 'succeeded');
  const fc = trials.find((t) => t.trialId.includes('fast_converge'));
  assert.equal(fc?.status, 'infeasible');
  assert.equal(fc?.failureType, 'CudaOutOfMemory');
  assert.equal(fc?.finalLoss, null);
  for (const t of trials) assert.equal(t.stage, 'stage1');

  const a = analyze(trials, { suggest: 3, importanceSamples: 256 });
  assert.deepEqual(a.ranking.map((r) => [r.trialId.replace(/^bayesopt_stage1_|_2025.*$/g, ''), r.finalLoss]), [
    ['aggressive', 0.65],
    ['high_capacity', 0.7123],
    ['conservative', 0.8],
  ]);
  const st = a.stages[0];
  assert.equal(st?.counts.infeasible, 1);
  assert.equal(st?.suggestions.length, 3);
  const lr = st?.correlations.find((c) => c.param === 'learning_rate');
  assert.equal(lr?.n, 3);
  // lr 4e-5 → 0.65, 2e-5 → 0.7123, 2.5e-5 → 0.8: ranks (3,1,2) vs (1,2,3) → ρ = -0.5
  assert.ok(Math.abs((lr?.spearman ?? 0) + 0.5) < 1e-12, String(lr?.spearman));
});

test('analyze command writes a seed-compatible results_summary.json (replacing the old one) and prints the report', async () => {
  const exp = writeSeedExperiments(tempDir());
  const io = captureIO();
  const code = await analyzeCommand({ dir: exp, suggest: 2 }, io);
  assert.equal(code, 0, io.err());
  assert.match(io.out(), /Ranking by final loss/);
  assert.match(io.out(), /bayesopt_stage1_aggressive_20250101_120001\s+0\.65/);
  assert.match(io.out(), /Warnings \(1\)/);
  const summary = JSON.parse(readFileSync(path.join(exp, 'results_summary.json'), 'utf8'));
  assert.equal(summary.generated_by, 'vibeopt analyze');
  assert.equal(summary.total_experiments, 4);
  assert.equal(summary.successful, 3);
  assert.equal(summary.ranking[0].experiment_id, 'bayesopt_stage1_aggressive_20250101_120001');
  assert.equal(summary.ranking[0].final_loss, 0.65);
  assert.equal(summary.ranking[0].training_time_seconds, 26000);
  assert.deepEqual(summary.ranking[0].config, { ...NAMED_INITIAL_CONFIGS[1]?.config });
  assert.equal(summary.ranking[1].loss_source, 'training.log');
  assert.equal(summary.warnings.length, 1);

  const json = captureIO();
  assert.equal(await analyzeCommand({ dir: exp, json: true, suggest: 0, out: path.join(exp, 'other.json') }, json), 0);
  assert.equal(JSON.parse(json.out()).ranking.length, 3);
  assert.ok(existsSync(path.join(exp, 'other.json')));

  const missing = captureIO();
  assert.equal(await analyzeCommand({ dir: path.join(exp, 'nope') }, missing), 2);
  assert.match(missing.err(), /nope: cannot read results folder/);
  const badStage = captureIO();
  assert.equal(await analyzeCommand({ dir: exp, stage: 'stage9' }, badStage), 2);
  assert.match(badStage.err(), /stage "stage9" not found .*stages: stage1/);
  const empty = captureIO();
  assert.equal(await analyzeCommand({ dir: tempDir() }, empty), 1);
});

test('pipeline layout: stages from folders, statuses from the stage summary, curve from training.log; pipeline summary never overwritten', async () => {
  const dir = writePipelineResults(tempDir(), { trialsPerStage: [8, 4] });
  const { trials, warnings } = loadResults(dir);
  assert.deepEqual(warnings, []);
  assert.equal(trials.length, 12);
  assert.deepEqual([...new Set(trials.map((t) => t.stage))].sort(), ['stage1', 'stage2']);
  const oom = trials.find((t) => t.trialId === 'stage1-trial-007');
  assert.equal(oom?.status, 'infeasible');
  assert.equal(oom?.config.per_device_train_batch_size, 1);
  const t1 = trials.find((t) => t.trialId === 'stage1-trial-001');
  assert.equal(t1?.lossCurveSource, 'training.log');
  assert.equal(t1?.lossCurve.length, 30);
  assert.equal(trials.find((t) => t.trialId === 'stage1-trial-000')?.lossCurveSource, 'results.json');
  // Loading a single stage folder gives the same stage name.
  assert.ok(loadResults(path.join(dir, 'stage2')).trials.every((t) => t.stage === 'stage2'));

  const before = readFileSync(path.join(dir, 'results_summary.json'), 'utf8');
  const io = captureIO();
  assert.equal(await analyzeCommand({ dir, suggest: 1, stage: 'stage1' }, io), 0, io.err());
  assert.equal(readFileSync(path.join(dir, 'results_summary.json'), 'utf8'), before);
  const written = JSON.parse(readFileSync(path.join(dir, 'analysis', 'results_summary.json'), 'utf8'));
  assert.deepEqual(written.stages.map((s: { stage: string }) => s.stage), ['stage1']);
});

test('garbled and incomplete trial folders become warnings naming the file and field, never a crash', () => {
  const root = tempDir();
  const mk = (name: string, files: Record<string, string>) => {
    mkdirSync(path.join(root, name), { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(root, name, f), text);
  };
  mk('bayesopt_stage1_badtype_1', { 'results.json': JSON.stringify({ experiment_id: 'x', final_loss: { v: 1 }, exit_code: 0, config: {} }) });
  mk('bayesopt_stage1_running_1', { 'config.json': '{"learning_rate": 3e-5}', 'training.log': "{'loss': 1.0}\n" });
  mk('bayesopt_stage1_noconfig_1', { 'results.json': JSON.stringify({ experiment_id: 'y', final_loss: 0.5, exit_code: 0 }) });
  mk('bayesopt_stage1_noloss_1', { 'results.json': JSON.stringify({ experiment_id: 'z', final_loss: null, exit_code: 0, config: { lora_r: 8 } }) });
  mk('bayesopt_stage1_array_1', { 'results.json': '[1, 2]' });
  const { trials, warnings } = loadResults(root);
  const text = warnings.join('\n');
  assert.match(text, /badtype_1[/\\]results\.json: final_loss: .*skipped/);
  assert.match(text, /running_1[/\\]results\.json: missing/);
  assert.match(text, /noconfig_1[/\\]results\.json: no "config" field/);
  assert.match(text, /noloss_1[/\\]results\.json: final_loss is null and .*training\.log is missing/);
  assert.match(text, /array_1[/\\]results\.json: .*skipped/);
  assert.deepEqual(trials.map((t) => [t.trialId, t.status]), [['z', 'unknown']]);
  assert.equal(analyze(trials, { suggest: 0 }).ranking.length, 0);
});

test('importance: the GP/Sobol estimate finds the parameter that drives the loss; shares sum to 1', () => {
  const space = seedSearchSpace();
  const obs = syntheticObservations(30, 3);
  const r = parameterImportance(space, obs, { samples: 512, seed: 1 });
  assert.ok(!('reason' in r), JSON.stringify(r));
  const sum = r.params.reduce((s, p) => s + p.importance, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
  assert.equal(r.params[0]?.param, 'learning_rate');
  assert.ok((r.params[0]?.importance ?? 0) > 0.8, JSON.stringify(r.params.slice(0, 3)));
  const lrScale = r.params.find((p) => p.param === 'learning_rate')?.lengthscale ?? 0;
  assert.ok(r.params.every((p) => p.param === 'learning_rate' || p.lengthscale > lrScale), 'learning_rate has the shortest lengthscale');
  // Driven by something else, the estimate follows the data rather than a fixed ordering.
  const byDdpm = obs.map((o) => ({ config: o.config, loss: 0.5 + 0.2 * Number(o.config.ddpm_batch_mul) }));
  const r2 = parameterImportance(space, byDdpm, { samples: 512, seed: 1 });
  assert.ok(!('reason' in r2));
  assert.equal(r2.params[0]?.param, 'ddpm_batch_mul');
  // Too little data is said, not guessed.
  const few = parameterImportance(space, obs.slice(0, 2));
  assert.ok('reason' in few && /at least 3/.test(few.reason));
});

test('spearman: monotone, reversed, ties, constant', () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Math.abs((spearman([1, 1, 2, 3], [1, 2, 3, 4]) ?? 0) - 0.9486832980505138) < 1e-12);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
});

test('generate-scripts, iteration 1: the five named configs, executable scripts with the real trainer flags, no secrets', async () => {
  const out = path.join(tempDir(), 'experiments');
  const prevToken = process.env.HF_TOKEN;
  process.env.HF_TOKEN = 'hf_SECRET_must_not_leak';
  const io = captureIO();
  try {
    assert.equal(await generateScriptsCommand({ out, iteration: 1 }, io), 0, io.err());
  } finally {
    if (prevToken === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = prevToken;
  }
  assert.deepEqual(readdirSync(path.join(out, 'configs')).sort(), [1, 2, 3, 4, 5].map((n) => `stage1_config${n}.json`));
  NAMED_INITIAL_CONFIGS.forEach((n, i) => {
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'configs', `stage1_config${i + 1}.json`), 'utf8')), { ...n.config });
  });
  const scripts = readdirSync(path.join(out, 'scripts')).sort();
  assert.deepEqual(scripts, [1, 2, 3, 4, 5].map((n) => `train_stage1_config${n}.sh`));
  for (const f of [...scripts.map((s) => path.join(out, 'scripts', s)), path.join(out, 'run_stage1_parallel.sh')]) {
    assert.ok((statSync(f).mode & 0o111) !== 0, `${f} is executable`);
    execFileSync('bash', ['-n', f]); // syntax only; never run
    assert.ok(!readFileSync(f, 'utf8').includes('hf_SECRET_must_not_leak'), `${f} leaks HF_TOKEN`);
  }
  const s2 = readFileSync(path.join(out, 'scripts', 'train_stage1_config2.sh'), 'utf8');
  for (const flag of ['--do_train', '--gradient_clipping', '--remove_unused_columns False', '--learning_rate 4e-05', '--max_grad_norm 1.0', '--load_in_4bit True', '--dataset_name heiertech/vibevoice-mcv-scripted-no-v24']) {
    assert.ok(s2.includes(flag), `missing ${flag}`);
  }
  assert.match(s2, /--output_dir "\$\{OUTPUT_DIR\}"/);
  assert.match(s2, /bayesopt_stage1_aggressive_iter1/);
  const par = readFileSync(path.join(out, 'run_stage1_parallel.sh'), 'utf8');
  assert.match(par, /CUDA_VISIBLE_DEVICES="\$\{gpu\}"/);
  for (let n = 1; n <= 5; n++) assert.ok(par.includes(`scripts/train_stage1_config${n}.sh`));
});

test('generate-scripts, iteration 2: the optimizer\'s suggestions from the results, numbered after the existing configs', () => {
  const out = writeSeedExperiments(tempDir());
  const g = generateScripts({ out, iteration: 2, count: 3 });
  assert.deepEqual(g.configs.map((f) => path.basename(f)), ['stage1_config6.json', 'stage1_config7.json', 'stage1_config8.json']);
  assert.ok(g.suggestions.every((s) => s.source !== 'initial'));
  const named = new Set(NAMED_INITIAL_CONFIGS.map((n) => JSON.stringify(n.config)));
  assert.ok(g.suggestions.every((s) => !named.has(JSON.stringify(s.config))));
  const par = readFileSync(g.parallel, 'utf8');
  assert.ok(par.includes('scripts/train_stage1_config6.sh') && !par.includes('scripts/train_stage1_config1.sh'));
  for (const f of [...g.scripts, g.parallel]) execFileSync('bash', ['-n', f]);
  assert.throws(() => generateScripts({ out, iteration: 0 }), /--iteration must be an integer ≥ 1/);
  assert.throws(() => generateScripts({ out, iteration: 1, stage: 'stage3' }), /datasetName is null/);
  assert.throws(() => generateScripts({ out, iteration: 1, stage: 'nope' }), /--stage nope: no such stage/);
});

test('shellQuote: safe words bare, anything else single-quoted with embedded quotes escaped', () => {
  assert.equal(shellQuote('heiertech/vibevoice-mcv-scripted-no-v24'), 'heiertech/vibevoice-mcv-scripted-no-v24');
  assert.equal(shellQuote('4e-05'), '4e-05');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote("it's $(rm -rf ~) `x`"), "'it'\\''s $(rm -rf ~) `x`'");
});
