import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTrainerArgv,
  buildTrainerEnv,
  defaultTrainerSpec,
  pythonFloat,
  simulatorTrainerSpec,
  TrainerSpecSchema,
} from '../../src/trainer';

// TRAINER.md, "How the team launches one trial", verbatim (with <trial dir> and the run name filled in).
const TRAINER_MD_COMMAND = `python -u -m vibevoice.finetune.train_vibevoice \\
  --model_name_or_path marksverdhai/vibevoice-7b-bnb-8bit \\
  --processor_name_or_path vibevoice/VibeVoice-7B \\
  --dataset_name heiertech/vibevoice-mcv-scripted-no-v24 \\
  --text_column_name text --audio_column_name audio --voice_prompts_column_name audio \\
  --output_dir /artifacts/p/stage1/t1 \\
  --per_device_train_batch_size 6 --gradient_accumulation_steps 24 \\
  --learning_rate 4e-05 --num_train_epochs 3 \\
  --logging_steps 10 --save_steps 100 --eval_steps 100 \\
  --report_to wandb --run_name bayesopt_stage1_t1 \\
  --remove_unused_columns False --bf16 True --do_train \\
  --gradient_clipping --gradient_checkpointing True \\
  --ddpm_batch_mul 6 --diffusion_loss_weight 1.6 --train_diffusion_head True \\
  --ce_loss_weight 0.06 --voice_prompt_drop_rate 0.1 \\
  --lora_r 32 --lora_alpha 64 \\
  --lora_target_modules q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj \\
  --lr_scheduler_type cosine --warmup_ratio 0.05 --max_grad_norm 1.0 \\
  --load_in_4bit True`;

const TEAM_CONFIG = {
  per_device_train_batch_size: 6,
  gradient_accumulation_steps: 24,
  learning_rate: 4e-5,
  ddpm_batch_mul: 6,
  diffusion_loss_weight: 1.6,
  ce_loss_weight: 0.06,
  voice_prompt_drop_rate: 0.1,
  lora_r: 32,
  lora_alpha: 64,
  warmup_ratio: 0.05,
  max_grad_norm: 1,
};
const STAGE = { name: 'stage1', datasetName: 'heiertech/vibevoice-mcv-scripted-no-v24', baseModel: 'marksverdhai/vibevoice-7b-bnb-8bit', epochs: 3 };

test('argv for the team config equals TRAINER.md flag for flag, in order', () => {
  const argv = buildTrainerArgv({ spec: defaultTrainerSpec(), stage: STAGE, config: TEAM_CONFIG, outputDir: '/artifacts/p/stage1/t1', runName: 'bayesopt_stage1_t1' });
  const expected = TRAINER_MD_COMMAND.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
  assert.deepEqual(argv, expected);
  for (const trap of ['--do_train', '--gradient_clipping']) {
    const i = argv.indexOf(trap);
    assert.ok(i > 0 && (argv[i + 1] ?? '--').startsWith('--'), `${trap} must be a bare flag`);
  }
  assert.equal(argv[argv.indexOf('--remove_unused_columns') + 1], 'False');
});

test('fork-only flags are dropped for a trainer that does not declare them; unplaced params are appended', () => {
  const spec = defaultTrainerSpec({ forkFlags: [] });
  const argv = buildTrainerArgv({ spec, stage: STAGE, config: { ...TEAM_CONFIG, lora_dropout: 0.1 }, outputDir: '/o', runName: 'r' });
  assert.ok(!argv.includes('--load_in_4bit'));
  assert.deepEqual(argv.slice(-2), ['--lora_dropout', '0.1']);
});

test('hyperparameterFlags renames, missing params are left to the trainer default, resume is appended', () => {
  const spec = defaultTrainerSpec({ hyperparameterFlags: { lora_r: 'lora_rank' }, supportsResume: true });
  const argv = buildTrainerArgv({ spec, stage: STAGE, config: { lora_r: 16 }, outputDir: '/o', runName: 'r', resumeFrom: '/o/checkpoint-200' });
  assert.equal(argv[argv.indexOf('--lora_rank') + 1], '16');
  assert.ok(!argv.includes('--learning_rate'));
  assert.deepEqual(argv.slice(-2), ['--resume_from_checkpoint', '/o/checkpoint-200']);
  assert.throws(() =>
    buildTrainerArgv({ spec: defaultTrainerSpec(), stage: STAGE, config: {}, outputDir: '/o', runName: 'r', resumeFrom: '/x' }),
  );
});

test('values with spaces and shell metacharacters stay single argv entries', () => {
  const argv = buildTrainerArgv({ spec: defaultTrainerSpec(), stage: { ...STAGE, datasetName: 'a b; rm -rf /' }, config: {}, outputDir: '/o dir/$(x)', runName: 'r' });
  assert.equal(argv[argv.indexOf('--dataset_name') + 1], 'a b; rm -rf /');
  assert.equal(argv[argv.indexOf('--output_dir') + 1], '/o dir/$(x)');
});

test('pythonFloat matches Python repr', () => {
  const cases: Array<[number, string]> = [[4e-5, '4e-05'], [1, '1.0'], [0.06, '0.06'], [1.6, '1.6'], [1e-4, '0.0001'], [2.5e-5, '2.5e-05'], [1e16, '1e+16'], [123.5, '123.5'], [NaN, 'nan']];
  for (const [x, s] of cases) assert.equal(pythonFloat(x), s, String(x));
});

test('TrainerSpec round-trips through JSON (it travels in workflow history)', () => {
  const spec = simulatorTrainerSpec({ timeScale: 1e6 });
  assert.deepEqual(TrainerSpecSchema.parse(JSON.parse(JSON.stringify(spec))), spec);
  assert.equal(spec.env.VIBEOPT_SIM_TIME_SCALE, '1000000');
});

test('trainer env: GPU, unbuffered, run name, passEnv secrets from the worker only, no other worker vars', () => {
  const spec = defaultTrainerSpec({ env: { WANDB_PROJECT: 'vibeopt' } });
  const env = buildTrainerEnv({
    spec,
    workerEnv: { PATH: '/bin', HF_TOKEN: 'secret-xyz', AWS_SECRET_ACCESS_KEY: 'nope', WANDB_PROJECT: 'worker' },
    gpu: '3',
    runName: 'bayesopt_stage1_t1',
  });
  assert.equal(env.CUDA_VISIBLE_DEVICES, '3');
  assert.equal(env.PYTHONUNBUFFERED, '1');
  assert.equal(env.HF_TOKEN, 'secret-xyz');
  assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
  assert.equal(env.WANDB_PROJECT, 'vibeopt');
  assert.equal(env.WANDB_NAME, 'bayesopt_stage1_t1');
  assert.equal(env.WANDB_MODE, 'offline', 'no key and no mode: offline instead of the no-tty failure');
  assert.equal(env.PATH, '/bin');
});
