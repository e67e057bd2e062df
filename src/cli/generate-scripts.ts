/**
 * `vibeopt generate-scripts [--iteration N]`: the seed's manual flow, for running trials by hand
 * on GPUs outside the pipeline. Writes under --out (the experiments/ folder):
 *
 *   configs/<stage>_configN.json        the hyperparameters of config N
 *   scripts/train_<stage>_configN.sh    bash: the real trainer command (buildTrainerArgv), output in
 *                                        bayesopt_<stage>_<name>_iter<K>_<timestamp>/ with config.json,
 *                                        training.log and results.json in the seed's format
 *   run_<stage>_parallel.sh             runs this iteration's scripts, one per GPU (CUDA_VISIBLE_DEVICES;
 *                                        GPUS=0,1,2,3 picks them; extra scripts queue per GPU)
 *
 * Iteration 1: the stage's initial configs (stage 1: the five named configs), topped up by the
 * optimizer when --count asks for more. Later iterations: the optimizer's suggestions given every
 * trial found under --results-dir (default --out), and the config numbers continue after the
 * highest existing one so earlier configs are kept.
 *
 * The scripts are files for humans: every value is shell-quoted, secrets are read from the
 * environment when the script runs and never written, and nothing here executes them.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config, Observation } from '../domain';
import { ConfigError, loadPipelineConfig, parsePipelineConfig, seedPipelineConfig, toPipelineInput } from '../config/pipeline';
import { suggest, type Suggestion } from '../optimizer';
import { NAMED_INITIAL_CONFIGS, configKey } from '../space';
import { buildTrainerArgv, shellQuote, type TrainerSpec } from '../trainer';
import { loadResults } from '../analysis';
import { processIO, type CommandIO } from './analyze';

export interface GenerateScriptsOptions {
  /** The experiments folder to write configs/, scripts/ and run_<stage>_parallel.sh into. */
  out: string;
  /** 1: the initial (named) configs; ≥2: the optimizer's suggestions from the results so far. */
  iteration: number;
  /** Stage name in the pipeline config (default: the first stage, stage1). */
  stage?: string;
  /** Where earlier trials are (default: out). Used from iteration 2 on. */
  resultsDir?: string;
  /** Configs to generate (default 5, as the seed). */
  count?: number;
  /** Pipeline config file (YAML/JSON) for the stage plan and trainer; default: the seed's plan with the real trainer. */
  config?: string;
  /** Optimizer seed (default: the pipeline config's seed). */
  seed?: number;
}

const OUTPUT_DIR_MARK = '\u0000OUTPUT_DIR\u0000';
const RUN_NAME_MARK = '\u0000RUN_NAME\u0000';

/** The config restricted to the search space's parameters (old config.json files carry names, paths). */
function onlySpaceParams(config: Config, params: string[]): Config {
  const out: Config = {};
  for (const p of params) if (config[p] !== undefined) out[p] = config[p] as number | string;
  return out;
}

/** Highest N of existing <stage>_configN.json files (0 when none). */
function highestConfigNumber(configsDir: string, stage: string): number {
  if (!existsSync(configsDir)) return 0;
  const re = new RegExp(`^${stage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_config(\\d+)\\.json$`);
  return readdirSync(configsDir).reduce((m, f) => Math.max(m, Number(re.exec(f)?.[1] ?? 0)), 0);
}

function writeFileAtomic(file: string, text: string, mode?: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export interface TrainScriptInput {
  spec: TrainerSpec;
  stage: { name: string; title: string; datasetName: string; baseModel: string; epochs: number };
  config: Config;
  /** e.g. conservative, config7. */
  name: string;
  number: number;
  iteration: number;
  source: string;
  generatedAt: string;
}

/** The bash text of scripts/train_<stage>_configN.sh. */
export function trainScript(i: TrainScriptInput): string {
  const argv = buildTrainerArgv({
    spec: i.spec,
    stage: { name: i.stage.name, datasetName: i.stage.datasetName, baseModel: i.stage.baseModel, epochs: i.stage.epochs },
    config: i.config,
    outputDir: OUTPUT_DIR_MARK,
    runName: RUN_NAME_MARK,
  });
  const word = (w: string) => (w === OUTPUT_DIR_MARK ? '"${OUTPUT_DIR}"' : w === RUN_NAME_MARK ? '"${RUN_NAME}"' : shellQuote(w));
  // One flag (and its value) per line, as the team writes it.
  const lines: string[] = [];
  let cur = word(argv[0] as string);
  for (const w of argv.slice(1)) {
    if (w.startsWith('--')) {
      lines.push(cur);
      cur = word(w);
    } else cur += ` ${word(w)}`;
  }
  lines.push(cur);
  const cfgName = `${i.stage.name}_config${i.number}`;
  const secretNames = i.spec.passEnv.filter((n) => /TOKEN|KEY|SECRET|PASSWORD/i.test(n));
  const envExports = Object.entries(i.spec.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    '#!/usr/bin/env bash',
    `# ${cfgName}: ${i.name} (${i.source}), iteration ${i.iteration} of ${i.stage.name} (${i.stage.title}).`,
    `# Generated by \`vibeopt generate-scripts --iteration ${i.iteration}\` at ${i.generatedAt}; edit freely.`,
    `# Hyperparameters: ../configs/${cfgName}.json`,
    '#',
    '# Secrets are read from your environment when this runs and are never written here:',
    `#   ${i.spec.passEnv.join(', ')}`,
    '# GPU: CUDA_VISIBLE_DEVICES (run_*_parallel.sh sets it; default 0).',
    '# Writes bayesopt_<stage>_<name>_iter<K>_<timestamp>/{config.json,training.log,results.json,lora/} next to',
    '# configs/; `vibeopt analyze <experiments folder>` reads them (final_loss is taken from training.log).',
    'set -euo pipefail',
    '',
    'SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    'EXPERIMENTS_DIR="$(dirname "${SCRIPT_DIR}")"',
    `CONFIG_FILE="\${EXPERIMENTS_DIR}/configs/${cfgName}.json"`,
    'TIMESTAMP="$(date +%Y%m%d_%H%M%S)"',
    `EXPERIMENT_ID=${shellQuote(`bayesopt_${i.stage.name}_${i.name}_iter${i.iteration}`)}"_\${TIMESTAMP}"`,
    'OUTPUT_DIR="${EXPERIMENTS_DIR}/${EXPERIMENT_ID}"',
    'RUN_NAME="${EXPERIMENT_ID}"',
    '',
    'export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-0}"',
    'export PYTHONUNBUFFERED=1',
    ...envExports,
    ...secretNames.map((n) => `[[ -n "\${${n}:-}" ]] || echo "note: ${n} is not set in the environment" >&2`),
    'if [[ -z "${WANDB_API_KEY:-}" && -z "${WANDB_MODE:-}" ]]; then',
    '  echo "note: neither WANDB_API_KEY nor WANDB_MODE is set; using WANDB_MODE=offline" >&2',
    '  export WANDB_MODE=offline',
    'fi',
    '',
    'mkdir -p "${OUTPUT_DIR}"',
    'cp "${CONFIG_FILE}" "${OUTPUT_DIR}/config.json"',
    ...(i.spec.cwd ? [`cd ${shellQuote(i.spec.cwd)}`] : []),
    'echo "[${EXPERIMENT_ID}] GPU ${CUDA_VISIBLE_DEVICES}, output ${OUTPUT_DIR}"',
    'START="$(date +%s)"',
    'set +e',
    `${lines.join(' \\\n  ')} \\`,
    '  2>&1 | tee "${OUTPUT_DIR}/training.log"',
    'EXIT_CODE="${PIPESTATUS[0]}"',
    'set -e',
    'ELAPSED="$(( $(date +%s) - START ))"',
    '',
    '# results.json in the seed\'s format (final_loss from the final train_loss dict of the log, else null).',
    `EXPERIMENT_ID="\${EXPERIMENT_ID}" STAGE=${shellQuote(i.stage.name)} ITERATION=${i.iteration} EXIT_CODE="\${EXIT_CODE}" ELAPSED="\${ELAPSED}" \\`,
    '  OUTPUT_DIR="${OUTPUT_DIR}" CONFIG_FILE="${CONFIG_FILE}" python3 - <<\'PY\'',
    'import json, os, re',
    'out = os.environ["OUTPUT_DIR"]',
    'loss = None',
    'with open(os.path.join(out, "training.log"), errors="replace") as f:',
    '    for line in f.read().replace("\\r", "\\n").splitlines():',
    '        m = re.search(r"\'train_loss\': \'?([-+0-9.eE]+|nan|inf)\'?", line)',
    '        if m:',
    '            try:',
    '                loss = float(m.group(1))',
    '            except ValueError:',
    '                pass',
    'if loss is not None and loss != loss:',
    '    loss = None',
    'with open(os.environ["CONFIG_FILE"]) as f:',
    '    config = json.load(f)',
    'results = {',
    '    "experiment_id": os.environ["EXPERIMENT_ID"],',
    '    "stage": os.environ["STAGE"],',
    '    "iteration": int(os.environ["ITERATION"]),',
    '    "training_time_seconds": int(os.environ["ELAPSED"]),',
    '    "final_loss": loss if os.environ["EXIT_CODE"] == "0" else None,',
    '    "exit_code": int(os.environ["EXIT_CODE"]),',
    '    "config": config,',
    '}',
    'with open(os.path.join(out, "results.json"), "w") as f:',
    '    json.dump(results, f, indent=2)',
    'PY',
    'echo "[${EXPERIMENT_ID}] exit ${EXIT_CODE} after ${ELAPSED}s"',
    'exit "${EXIT_CODE}"',
    '',
  ].join('\n');
}

/** The bash text of run_<stage>_parallel.sh for the given script file names. */
export function parallelScript(stage: string, iteration: number, scripts: string[], generatedAt: string): string {
  const defaultGpus = scripts.map((_, k) => String(k)).join(',');
  return [
    '#!/usr/bin/env bash',
    `# Runs the ${scripts.length} training scripts of ${stage}, iteration ${iteration}, in parallel: one per GPU.`,
    `# Generated by \`vibeopt generate-scripts --iteration ${iteration}\` at ${generatedAt}.`,
    `# GPUS=0,1,2,3 bash run_${stage}_parallel.sh   picks the GPUs (default ${defaultGpus}); with fewer GPUs than`,
    '# scripts, each GPU runs its share one after another. Logs: logs/<stage>_configN.log.',
    'set -euo pipefail',
    'DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    `IFS=',' read -r -a GPU_LIST <<< "\${GPUS:-${defaultGpus}}"`,
    'if [[ ${#GPU_LIST[@]} -eq 0 ]]; then echo "GPUS is empty" >&2; exit 2; fi',
    'SCRIPTS=(',
    ...scripts.map((s) => `  ${shellQuote(s)}`),
    ')',
    'mkdir -p "${DIR}/logs"',
    'PIDS=()',
    'for g in "${!GPU_LIST[@]}"; do',
    '  (',
    '    gpu="${GPU_LIST[$g]}"',
    '    for (( i = g; i < ${#SCRIPTS[@]}; i += ${#GPU_LIST[@]} )); do',
    '      script="${SCRIPTS[$i]}"',
    '      name="$(basename "${script}" .sh)"',
    '      log="${DIR}/logs/${name#train_}.log"',
    '      echo "[GPU ${gpu}] ${name} -> ${log}"',
    '      if CUDA_VISIBLE_DEVICES="${gpu}" bash "${DIR}/${script}" > "${log}" 2>&1; then',
    '        echo "[GPU ${gpu}] ${name} finished"',
    '      else',
    '        echo "[GPU ${gpu}] ${name} FAILED (exit $?); see ${log}"',
    '      fi',
    '    done',
    '  ) &',
    '  PIDS+=("$!")',
    'done',
    'wait "${PIDS[@]}"',
    `echo "All done. Next: vibeopt analyze \\"\${DIR}\\" && vibeopt generate-scripts --iteration ${iteration + 1} --out \\"\${DIR}\\""`,
    '',
  ].join('\n');
}

export interface GeneratedScripts {
  configs: string[];
  scripts: string[];
  parallel: string;
  suggestions: Suggestion[];
}

/** Writes the files; throws ConfigError/Error with a message naming the problem. */
export function generateScripts(opts: GenerateScriptsOptions, now = new Date()): GeneratedScripts {
  if (!Number.isInteger(opts.iteration) || opts.iteration < 1) throw new ConfigError(`--iteration must be an integer ≥ 1 (got ${opts.iteration})`);
  const count = opts.count ?? 5;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new ConfigError(`--count must be an integer from 1 to 64 (got ${count})`);
  const pipelineConfig = opts.config ? loadPipelineConfig(opts.config) : parsePipelineConfig(seedPipelineConfig(), 'the seed plan');
  const input = toPipelineInput(pipelineConfig, { baseDir: opts.config ? path.dirname(path.resolve(opts.config)) : process.cwd(), where: opts.config });
  const stageName = opts.stage ?? (input.stages[0]?.name as string);
  const stageIndex = input.stages.findIndex((s) => s.name === stageName);
  const plan = input.stages[stageIndex];
  if (!plan) throw new ConfigError(`--stage ${stageName}: no such stage in ${opts.config ?? 'the seed plan'} (stages: ${input.stages.map((s) => s.name).join(', ')})`);
  if (!plan.datasetName) throw new ConfigError(`${opts.config ?? 'the seed plan'}: stages.${stageIndex}.datasetName is null; set the ${stageName} dataset first`);

  const resultsDir = opts.resultsDir ?? opts.out;
  const trials = opts.iteration > 1 || plan.baseModel === undefined ? (existsSync(resultsDir) ? loadResults(resultsDir).trials : []) : [];
  let baseModel = plan.baseModel;
  if (!baseModel) {
    // A later stage starts from the previous stage's best lora/.
    const prev = input.stages[stageIndex - 1]?.name;
    const best = trials
      .filter((t) => t.stage === prev && t.status === 'succeeded' && t.finalLoss !== null)
      .sort((a, b) => (a.finalLoss as number) - (b.finalLoss as number))[0];
    if (!best) throw new ConfigError(`${stageName} starts from ${prev}'s best checkpoint, but no succeeded ${prev} trial was found under ${resultsDir}; pass --results-dir`);
    baseModel = path.join(best.dir, 'lora');
  }

  const observations: Observation[] = opts.iteration > 1
    ? trials
        .filter((t) => t.stage === stageName && t.status !== 'unknown')
        .map((t) => ({ trialId: t.trialId, config: onlySpaceParams(t.config, Object.keys(plan.space.params)), status: t.status as Observation['status'], loss: t.status === 'succeeded' ? t.finalLoss : null, durationSeconds: t.trainingTimeSeconds ?? 0 }))
    : [];
  const suggestions = suggest({
    space: plan.space,
    observations,
    pending: [],
    count,
    seed: opts.seed ?? input.seed,
    initialConfigs: opts.iteration === 1 ? plan.initialConfigs : undefined,
  });
  if (suggestions.length === 0) throw new Error(`the optimizer returned no new config for ${stageName} (space exhausted?)`);

  const configsDir = path.join(opts.out, 'configs');
  const scriptsDir = path.join(opts.out, 'scripts');
  const first = opts.iteration === 1 ? 1 : highestConfigNumber(configsDir, stageName) + 1;
  const generatedAt = now.toISOString();
  const namedByKey = new Map(NAMED_INITIAL_CONFIGS.map((n) => [configKey(plan.space, n.config), n.name]));
  const out: GeneratedScripts = { configs: [], scripts: [], parallel: '', suggestions };
  const scriptNames: string[] = [];
  suggestions.forEach((s, k) => {
    const number = first + k;
    const name = namedByKey.get(configKey(plan.space, s.config)) ?? `config${number}`;
    const cfgFile = path.join(configsDir, `${stageName}_config${number}.json`);
    writeFileAtomic(cfgFile, `${JSON.stringify(s.config, null, 2)}\n`);
    const scriptName = `train_${stageName}_config${number}.sh`;
    const scriptFile = path.join(scriptsDir, scriptName);
    writeFileAtomic(
      scriptFile,
      trainScript({
        spec: input.trainer,
        stage: { name: stageName, title: plan.title, datasetName: plan.datasetName as string, baseModel: baseModel as string, epochs: plan.epochs },
        config: s.config,
        name,
        number,
        iteration: opts.iteration,
        source: s.source,
        generatedAt,
      }),
      0o755,
    );
    out.configs.push(cfgFile);
    out.scripts.push(scriptFile);
    scriptNames.push(path.join('scripts', scriptName));
  });
  out.parallel = path.join(opts.out, `run_${stageName}_parallel.sh`);
  writeFileAtomic(out.parallel, parallelScript(stageName, opts.iteration, scriptNames, generatedAt), 0o755);
  return out;
}

export async function generateScriptsCommand(opts: GenerateScriptsOptions, io: CommandIO = processIO): Promise<number> {
  try {
    const g = generateScripts(opts);
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    io.stdout(
      [
        `Iteration ${opts.iteration}: ${g.configs.length} configs (${[...new Set(g.suggestions.map((s) => s.source))].join(', ')})`,
        ...g.scripts.map((s, k) => `  ${rel(g.configs[k] as string)}  ${rel(s)}`),
        `Run them: GPUS=0,1,2,3 bash ${rel(g.parallel)}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (e) {
    io.stderr(`vibeopt generate-scripts: ${(e as Error).message}\n`);
    return 2;
  }
}
