import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LineSplitter,
  TrainerLogState,
  classifyOutcome,
  listCheckpoints,
  newestCheckpoint,
  parseProgressBar,
  parsePythonDict,
  parseNvidiaSmiMemory,
  downsampleCurve,
} from '../../src/trainer';

test('parses the plain dict form', () => {
  assert.deepEqual(parsePythonDict("{'loss': 0.7311, 'grad_norm': 1.02, 'learning_rate': 2.8e-05, 'epoch': 0.05}"), {
    loss: 0.7311,
    grad_norm: 1.02,
    learning_rate: 2.8e-5,
    epoch: 0.05,
  });
});

test('parses the quoted-string form of newer transformers', () => {
  assert.deepEqual(parsePythonDict("{'loss': '2.007', 'grad_norm': '1.02', 'learning_rate': '2.8e-05', 'epoch': '0.05'}"), {
    loss: 2.007,
    grad_norm: 1.02,
    learning_rate: 2.8e-5,
    epoch: 0.05,
  });
});

test('nan, inf, numpy wrappers, tensors, booleans, None, nested values', () => {
  const d = parsePythonDict(
    "{'loss': nan, 'grad_norm': inf, 'x': -inf, 'y': 'nan', 'z': np.float64(0.5), 't': tensor(0.25, device='cuda:0'), 'ok': True, 'n': None, 'l': [1, 2], 'name': \"it's\"}",
  );
  assert.ok(d);
  assert.ok(Number.isNaN(d.loss));
  assert.equal(d.grad_norm, Infinity);
  assert.equal(d.x, -Infinity);
  assert.ok(Number.isNaN(d.y));
  assert.equal(d.z, 0.5);
  assert.equal(d.t, 0.25);
  assert.equal(d.ok, true);
  assert.equal(d.n, null);
  assert.equal(d.l, '[1, 2]');
  assert.equal(d.name, "it's");
});

test('garbage is tolerated, never evaluated', () => {
  for (const g of ['', '{', '{}', "{'loss': ", "{'a' 1}", 'loss: 0.5', '{__import__("os")}', "{'a': 1,, 'b': 2}", '\u0000\u001b[33m{']) {
    assert.equal(parsePythonDict(g), null, JSON.stringify(g));
  }
});

test('tqdm bars: rate in s/it and it/s, description, unknown rate', () => {
  assert.deepEqual(parseProgressBar(' 12%|█▏        | 70/579 [1:02:11<7:32:10, 53.30s/it]'), { desc: '', n: 70, total: 579, rate: 1 / 53.3 });
  assert.deepEqual(parseProgressBar('70/579 [1:02:11<7:32:10, 2.00it/s]'), { desc: '', n: 70, total: 579, rate: 2 });
  assert.deepEqual(parseProgressBar('  0%|          | 0/579 [00:00<?, ?it/s]'), { desc: '', n: 0, total: 579, rate: null });
  assert.equal(parseProgressBar('Loading checkpoint shards: 100%|██████████| 4/4 [00:10<00:00,  2.50s/it]')?.desc, 'Loading checkpoint shards');
  assert.equal(parseProgressBar('no bar here 3/4'), null);
});

test('stream: \\r-split bars, both dict forms, garbage, final dict, loss curve on the logging grid', () => {
  const state = new TrainerLogState({ loggingSteps: 10, samplesPerStep: 144 });
  const lines: Array<['stdout' | 'stderr', string]> = [];
  const out = new LineSplitter((l) => lines.push(['stdout', l]));
  const err = new LineSplitter((l) => lines.push(['stderr', l]));
  err.write('Loading checkpoint shards: 100%|██| 4/4 [00:10<00:00,  2.50s/it]\n');
  err.write('  0%|   | 0/30 [00:00<?, ?it/s]\r  3%|   | 1/30 [00:53<25:00, 53.3');
  err.write('0s/it]\r 33%|███ | 10/30 [08:53<17:46, 53.30s/it]');
  out.write(Buffer.from("{'loss': 0.9, 'grad_norm': 1.0, 'learning_rate': 2e-05, 'epoch': 0.33}\n\u001b[33mwandb\u001b[0m: garbage {'loss'\n"));
  err.write('\r 66%|██████ | 20/30 [17:46<08:53, 53.30s/it]');
  out.write("{'loss': '0.7', 'epoch': '0.66'}\r\n{'eval_loss': '0.8', 'epoch': '0.66'}\n");
  err.write('\r100%|██████████| 30/30 [26:39<00:00, 53.30s/it]\n');
  // the evaluation bar (another total) is not the training bar
  err.write('\r 50%|█████ | 2/4 [00:01<00:01,  2.00it/s]\n');
  out.write("{'loss': '0.6', 'epoch': '1.0'}\n{'train_runtime': '1599.0', 'train_samples_per_second': '2.7', 'train_steps_per_second': '0.019', 'train_loss': '0.73', 'epoch': '1.0'}");
  out.end();
  err.end();
  for (const [s, l] of lines) state.line(s, l);
  assert.equal(state.progress.step, 30);
  assert.equal(state.progress.maxSteps, 30);
  assert.equal(state.progress.epoch, 1);
  assert.equal(state.progress.loss, 0.6);
  assert.equal(state.progress.samplesPerSecond, 2.7);
  assert.deepEqual(state.lossCurve, [
    { step: 10, loss: 0.9 },
    { step: 20, loss: 0.7 },
    { step: 30, loss: 0.6 },
  ]);
  assert.equal(state.lastEvalLoss, 0.8);
  assert.equal(state.finalDict?.train_loss, 0.73);
  const outcome = classifyOutcome({ exitCode: 0, signal: null, stoppedBecause: null, log: state, metric: 'train_loss', program: 'x' });
  assert.deepEqual(outcome, { kind: 'succeeded', loss: 0.73 });
  assert.deepEqual(classifyOutcome({ exitCode: 0, signal: null, stoppedBecause: null, log: state, metric: 'loss', program: 'x' }), { kind: 'succeeded', loss: 0.6 });
  assert.deepEqual(classifyOutcome({ exitCode: 0, signal: null, stoppedBecause: null, log: state, metric: 'eval_loss', program: 'x' }), { kind: 'succeeded', loss: 0.8 });
  // Bars are collapsed in the tail.
  assert.equal(state.logTail().split('\n').filter((l) => l.includes('|')).length <= 3, true);
});

test('classification: OOM beats exit codes; SIGKILL is host OOM; bad flag; nan; no final dict; not found', () => {
  const mk = (lines: string[]) => {
    const s = new TrainerLogState();
    for (const l of lines) s.line('stderr', l);
    return s;
  };
  const oom = mk(['Traceback (most recent call last):', 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB']);
  for (const exitCode of [1, 0, null]) {
    assert.equal(classifyOutcome({ exitCode, signal: null, stoppedBecause: null, log: oom, metric: 'train_loss', program: 'x' }).kind, 'cuda_oom');
  }
  assert.equal(classifyOutcome({ exitCode: 1, signal: null, stoppedBecause: null, log: mk(['RuntimeError: CUDA error: out of memory']), metric: 'loss', program: 'x' }).kind, 'cuda_oom');
  assert.equal(classifyOutcome({ exitCode: 1, signal: null, stoppedBecause: null, log: mk(['torch.cuda.OutOfMemoryError: x']), metric: 'loss', program: 'x' }).kind, 'cuda_oom');
  assert.equal(classifyOutcome({ exitCode: null, signal: 'SIGKILL', stoppedBecause: null, log: mk([]), metric: 'loss', program: 'x' }).kind, 'host_oom');
  const bad = classifyOutcome({ exitCode: 1, signal: null, stoppedBecause: null, log: mk(["ValueError: Some specified arguments are not used by the HfArgumentParser: ['--load_in_4bit', 'True']"]), metric: 'loss', program: 'x' });
  assert.equal(bad.kind === 'trainer_error' && bad.reason, 'bad_flag');
  const nanLog = new TrainerLogState();
  nanLog.line('stdout', "{'loss': 'nan', 'epoch': 0.5}");
  const nan = classifyOutcome({ exitCode: null, signal: 'SIGTERM', stoppedBecause: 'nan_loss', log: nanLog, metric: 'loss', program: 'x' });
  assert.equal(nan.kind === 'trainer_error' && nan.reason, 'nan_loss');
  assert.match((nan as { message: string }).message, /nan loss/);
  const noTrain = classifyOutcome({ exitCode: 0, signal: null, stoppedBecause: null, log: mk(['loading...']), metric: 'train_loss', program: 'x' });
  assert.equal(noTrain.kind === 'trainer_error' && noTrain.reason, 'no_final_dict');
  const enoent = Object.assign(new Error('spawn nope ENOENT'), { code: 'ENOENT' });
  assert.equal(classifyOutcome({ exitCode: null, signal: null, stoppedBecause: null, spawnError: enoent, log: mk([]), metric: 'loss', program: 'nope' }).kind, 'not_found');
  assert.equal(classifyOutcome({ exitCode: null, signal: 'SIGTERM', stoppedBecause: 'cancelled', log: oom, metric: 'loss', program: 'x' }).kind, 'cancelled');
});

test('checkpoint discovery: newest complete checkpoint-N with a consistent trainer_state.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  const mk = (name: string, state: string | null) => {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    if (state !== null) fs.writeFileSync(path.join(dir, name, 'trainer_state.json'), state);
  };
  mk('checkpoint-100', JSON.stringify({ global_step: 100, log_history: [] }));
  mk('checkpoint-1000', JSON.stringify({ global_step: 1000 })); // numeric, not lexical, order
  mk('checkpoint-200', JSON.stringify({ global_step: 200 }));
  mk('checkpoint-1100', null); // killed while saving
  mk('checkpoint-1200', '{"global_step": 12'); // torn
  mk('checkpoint-1300', JSON.stringify({ global_step: 5 })); // inconsistent
  mk('checkpoint-x', JSON.stringify({ global_step: 1 }));
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [100, 200, 1000]);
  assert.equal(newestCheckpoint(dir)?.dir, path.join(dir, 'checkpoint-1000'));
  assert.equal(newestCheckpoint(path.join(dir, 'missing')), null);
  fs.rmSync(dir, { recursive: true });
});

test('nvidia-smi parsing and curve downsampling', () => {
  assert.deepEqual(parseNvidiaSmiMemory('20813\n 512 MiB\n\nN/A\n'), [20813, 512]);
  const pts = Array.from({ length: 1000 }, (_, i) => i);
  const d = downsampleCurve(pts, 200);
  assert.equal(d.length, 200);
  assert.equal(d[0], 0);
  assert.equal(d.at(-1), 999);
});
