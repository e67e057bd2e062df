/** `vibeopt init`: a documented pipeline config reproducing the seed's three-stage plan. */
import { existsSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { parsePipelineConfig, seedPipelineConfig } from '../config/pipeline';

/** Comments for every field, keyed by YAML path (numbers stand for any list index). */
const DOCS: Record<string, string> = {
  name: 'Pipeline name; also its Temporal workflow id: `vibeopt start` with the same name attaches to the running pipeline.',
  artifactRoot: 'Where trial folders, results_summary.json and BEST_CONFIG.md go (relative to this file). Every GPU worker must see it at the same path.',
  seed: 'Seed of the optimizer: the same seed and history give the same suggestions.',
  trainer: 'The trainer. preset: vibevoice (the real command of TRAINER.md; `overrides` may change any TrainerSpec field),\nsimulator (the bundled stand-in; timeScale, gpuGb, seed), or custom (`spec`: a whole TrainerSpec).',
  stages: 'Stages run in order; each starts from the previous stage\'s best lora/ checkpoint.',
  'stages.name': 'Short name: lowercase letters, digits, - and _ (part of workflow ids and folders).',
  'stages.title': 'Human title, shown in the Web UI and reports.',
  'stages.datasetName': 'Hugging Face dataset id. null stops the pipeline before it starts (set it before launching).',
  'stages.epochs': 'Epochs per trial (--num_train_epochs).',
  'stages.baseModel': 'Base model of the first stage only; later stages use the previous stage\'s best checkpoint.',
  'stages.budget': 'maxTrials: trials to start; maxGpuHours (optional): GPU time for the stage; targetLoss (optional): stop once reached.',
  'stages.parallelism': 'Trials at once: one per GPU worker.',
  'stages.trialTimeLimitHours': 'A trial running longer is stopped and recorded as too slow (the seed: >24 h per stage is bad, >48 h unacceptable).',
  'stages.initialConfigs': '"named": the seed\'s five configs (conservative, aggressive, high_capacity, fast_converge, balanced) run first; or a list of configs; or [].',
  'stages.warmStartTopK': 'How many of the previous stage\'s best configs run first in this stage.',
};

export function initYaml(opts: { simulator: boolean }): string {
  const config = seedPipelineConfig({ simulator: opts.simulator });
  const doc = new YAML.Document(config);
  doc.commentBefore =
    ' vibeopt pipeline config: the seed\'s plan (three stages, 11 hyperparameters searched per stage).\n' +
    ' Validated on every load; `vibeopt start -c <this file>` launches it.\n' +
    ' Optional per stage: costAware (bool: improvement per GPU-hour), space (overrides of the search space:\n' +
    '   narrow: {learning_rate: {low: 2e-5}}, fix: {lora_r: 32}, exclude: {per_device_train_batch_size: [8]}, add: {...}).\n' +
    ' Optional: publish: {enabled, command: [argv with {repo} {checkpoint} {stage}], repoPattern, nextStageFromPublished}.';
  const map = doc.contents as YAML.YAMLMap;
  for (const pair of map.items as Array<YAML.Pair<YAML.Scalar, YAML.Node>>) {
    const key = String(pair.key.value);
    if (DOCS[key]) pair.key.commentBefore = ` ${DOCS[key]!.replace(/\n/g, '\n ')}`;
    if (key === 'stages') {
      const first = (pair.value as YAML.YAMLSeq).items[0] as YAML.YAMLMap;
      for (const p of first.items as Array<YAML.Pair<YAML.Scalar, YAML.Node>>) {
        const doc2 = DOCS[`stages.${String(p.key.value)}`];
        if (doc2) p.key.commentBefore = ` ${doc2}`;
      }
    }
  }
  const stage3 = ((map.get('stages') as YAML.YAMLSeq).items[2] as YAML.YAMLMap).items.find((p) => String((p as YAML.Pair<YAML.Scalar>).key.value) === 'datasetName') as YAML.Pair<YAML.Scalar>;
  stage3.key.commentBefore = ' TBD in the seed: set the Oslo-dialect dataset here before launching.';
  return doc.toString({ lineWidth: 120 });
}

export function initCommand(opts: { out: string; simulator: boolean; force: boolean }): void {
  if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists; pass --force to overwrite it`);
  const text = /\.json$/i.test(opts.out) ? `${JSON.stringify(seedPipelineConfig({ simulator: opts.simulator }), null, 2)}\n` : initYaml(opts);
  // What we write must load.
  parsePipelineConfig(/\.json$/i.test(opts.out) ? JSON.parse(text) : YAML.parse(text), opts.out);
  writeFileSync(opts.out, text);
  console.log(`wrote ${opts.out}${opts.simulator ? ' (simulator trainer)' : ''}; edit it, then: vibeopt start -c ${opts.out}`);
}
