/**
 * One stage: an asynchronous Bayesian-optimization loop. It keeps `parallelism` trials running
 * (one per GPU); the moment one reports, it records the observation and asks the suggest activity
 * for the next config with the running trials as pending. It never waits for a whole batch.
 *
 * Trials are child workflows started with ParentClosePolicy.ABANDON that report back by signal, so
 * the stage can continue-as-new while they run and pick up their reports in the next run.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as artifactActivities from '../activities/artifacts';
import type * as suggestActivities from '../activities/suggest';
import type { Config, Observation } from '../src/domain';
import { configKey, validateConfig } from '../src/space';
import {
  DESCRIPTIONS,
  enqueueConfigUpdate,
  excludeValueUpdate,
  setBudgetUpdate,
  setParallelismUpdate,
  stageStateQuery,
  stopStageSignal,
  trialFinishedSignal,
  trialProgressSignal,
} from './messages';
import { bestLossKey, pipelineKey, stageKey, trialsDoneKey } from './search-attributes';
import { trialWorkflow } from './trial';
import type { StageBudget, StageInput, StageResult, StageState, StopMode, TrialInput, TrialOutcome, TrialView } from './types';
import { validateBudgetPatch, validateExclusion, validateParallelism, validateStopPayload } from './validate';

const { suggestConfigs } = proxyActivities<typeof suggestActivities>({
  // A fit takes 0.3 s at 100 observations and ~20 s at 500 (cubic); a CPU worker that dies
  // mid-fit is noticed within this.
  startToCloseTimeout: '10m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidSuggestRequest'] },
});
const { writeStageSummary } = proxyActivities<typeof artifactActivities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 5 },
});

interface RunningTrial {
  trialId: string;
  trialNumber: number;
  config: Config;
  source: string;
  startedAt: number;
  progress?: TrialView['progress'];
}

/** Everything the stage knows; carried whole across continue-as-new. */
export interface StageCarry {
  finished: TrialOutcome[];
  running: RunningTrial[];
  queued: Array<{ config: Config; source: string }>;
  nextTrialNumber: number;
  budget: StageBudget;
  parallelism: number;
  space: StageInput['plan']['space'];
  excluded: Array<{ param: string; value: number | string }>;
  stopMode: StopMode | null;
  stoppedBy: StageResult['stoppedBy'] | null;
  exhausted: boolean;
  /** Circuit breaker: trials failed in a row, and why it tripped (absent in runs from before it existed). */
  consecutiveFailures?: number;
  halted?: { reason: string } | null;
}

export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 3;

/**
 * Whether a trial's failure says something is wrong with the machinery (a crashing or missing
 * trainer, garbage output, a dead GPU) rather than with its config: those trip the circuit breaker.
 * OOM (infeasible), the time limit (too_slow) and NaN/inf losses are observations about the config.
 */
export function isInfrastructureFailure(t: TrialOutcome): boolean {
  return t.status === 'failed' && t.failure?.reason !== 'nan_loss';
}

function initialCarry(input: StageInput): StageCarry {
  const seen = new Set<string>();
  const queued: StageCarry['queued'] = [];
  const add = (config: Config, source: string) => {
    const key = configKey(input.plan.space, config);
    if (seen.has(key)) return;
    seen.add(key);
    queued.push({ config, source });
  };
  // Warm-start configs come from the previous stage's space; keep those valid in this one.
  input.warmStart.filter((c) => validateConfig(input.plan.space, c).length === 0).forEach((c) => add(c, 'warm-start'));
  input.plan.initialConfigs.forEach((c) => add(c, 'initial'));
  return {
    finished: [],
    running: [],
    queued,
    nextTrialNumber: 1,
    budget: { ...input.plan.budget },
    parallelism: input.plan.parallelism,
    space: input.plan.space,
    excluded: [],
    stopMode: null,
    stoppedBy: null,
    exhausted: false,
    consecutiveFailures: 0,
    halted: null,
  };
}

/** The outcome as the stage keeps it: the loss curve stays in the trial's files. */
function compact(outcome: TrialOutcome): TrialOutcome {
  if (!outcome.result) return outcome;
  return { ...outcome, result: { ...outcome.result, metrics: { ...outcome.result.metrics, lossCurve: [] } } };
}

export function trialWorkflowId(pipelineId: string, stage: string, n: number): string {
  return `${pipelineId}-${stage}-trial-${String(n).padStart(3, '0')}`;
}

/** The trial workflow's input for trial `trialNumber` of this stage. */
export function trialInput(input: StageInput, stageWorkflowId: string, trialNumber: number, config: Config): TrialInput {
  const plan = input.plan;
  return {
    pipelineId: input.pipelineId,
    stageWorkflowId,
    artifactRoot: input.artifactRoot,
    trainer: input.trainer,
    stage: { name: plan.name, index: input.index, datasetName: plan.datasetName ?? '', baseModel: input.baseModel, epochs: plan.epochs },
    trialId: trialWorkflowId(input.pipelineId, plan.name, trialNumber),
    trialNumber,
    config,
    timeLimitSeconds: plan.trialTimeLimitSeconds,
    gpuTaskQueue: input.gpuTaskQueue,
    progressSignalSeconds: plan.progressSignalSeconds,
    heartbeatTimeoutSeconds: plan.trialHeartbeatTimeoutSeconds,
  };
}

export async function stageWorkflow(input: StageInput, carried?: StageCarry): Promise<StageResult> {
  const s: StageCarry = carried ?? initialCarry(input);
  const stageId = workflowInfo().workflowId;
  const plan = input.plan;
  let wake = false;
  // Histories recorded before the circuit breaker replay without it.
  const breakerOn = patched('stage-circuit-breaker');
  const maxConsecutiveFailures = plan.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;

  const best = (): TrialOutcome | null =>
    s.finished.reduce<TrialOutcome | null>((b, t) => (t.status === 'succeeded' && t.loss !== null && (b === null || t.loss < (b.loss ?? Infinity)) ? t : b), null);
  const gpuHours = (): number => {
    const now = Date.now();
    const done = s.finished.reduce((sum, t) => sum + t.durationSeconds, 0);
    const running = s.running.reduce((sum, t) => sum + Math.max(0, now - t.startedAt) / 1000, 0);
    return (done + running) / 3600;
  };
  const started = (): number => s.finished.length + s.running.length;

  /** Why no new trial may start, or null if one may. */
  const stopReason = (): StageResult['stoppedBy'] | null => {
    if (s.stopMode) return 'user';
    if (s.halted) return 'failing';
    const b = best();
    if (s.budget.targetLoss !== undefined && b?.loss != null && b.loss <= s.budget.targetLoss) return 'target';
    if (started() >= s.budget.maxTrials) return 'budget';
    if (s.budget.maxGpuHours !== undefined && gpuHours() >= s.budget.maxGpuHours) return 'budget';
    if (s.exhausted && s.queued.length === 0) return 'exhausted';
    return null;
  };
  const freeSlots = (): number => (stopReason() ? 0 : Math.max(0, Math.min(s.parallelism - s.running.length, s.budget.maxTrials - started())));

  const view = (t: TrialOutcome | RunningTrial, source = ''): TrialView =>
    'status' in t
      ? { trialId: t.trialId, trialNumber: t.trialNumber, config: t.finalConfig, status: t.status, loss: t.loss, durationSeconds: t.durationSeconds, error: t.error, state: 'finished', startedAt: 0, source, progress: null }
      : { trialId: t.trialId, trialNumber: t.trialNumber, config: t.config, status: 'cancelled', loss: null, durationSeconds: (Date.now() - t.startedAt) / 1000, error: null, state: 'running', startedAt: t.startedAt, source: t.source, progress: t.progress ?? null };

  const state = (): StageState => {
    const b = best();
    return {
      stage: plan.name,
      title: plan.title,
      phase: s.running.length === 0 && freeSlots() === 0 ? 'completed' : s.stopMode ? 'stopping' : 'running',
      stopMode: s.stopMode,
      parallelism: s.parallelism,
      budget: s.budget,
      used: { trialsStarted: started(), trialsFinished: s.finished.length, gpuHours: gpuHours() },
      trials: [...s.finished.map((t) => view(t)), ...s.running.map((t) => view(t))].sort((a, b2) => a.trialNumber - b2.trialNumber),
      best: b ? view(b) : null,
      queued: s.queued.map((q) => q.config),
      excluded: s.excluded,
      baseModel: input.baseModel,
      halted: s.halted ?? null,
    };
  };

  const refreshUi = () => {
    const b = best();
    const failed = s.finished.filter((t) => t.status !== 'succeeded').length;
    const bestLine = b ? `**best** ${b.trialId}: loss ${b.loss?.toFixed(4)}, lr ${b.finalConfig.learning_rate}, r ${b.finalConfig.lora_r}, batch ${b.finalConfig.per_device_train_batch_size}×${b.finalConfig.gradient_accumulation_steps}` : '**best** none yet';
    setCurrentDetails(
      [
        `### ${plan.name}: ${plan.title}`,
        `dataset \`${plan.datasetName}\`, ${plan.epochs} epochs, base \`${input.baseModel}\``,
        '',
        `trials: **${s.finished.length - failed}** done, **${s.running.length}** running, **${failed}** failed/infeasible, ${s.queued.length} queued (budget ${s.budget.maxTrials})`,
        bestLine,
        `GPU-hours used: ${gpuHours().toFixed(2)}${s.budget.maxGpuHours !== undefined ? ` of ${s.budget.maxGpuHours}` : ''}`,
        s.stopMode ? `stopping (${s.stopMode})` : '',
        s.halted ? `**halted**: ${s.halted.reason}` : '',
      ].join('\n'),
    );
    upsertSearchAttributes([
      { key: pipelineKey, value: input.pipelineId },
      { key: stageKey, value: plan.name },
      { key: trialsDoneKey, value: s.finished.length },
      ...(b?.loss != null ? [{ key: bestLossKey, value: b.loss }] : []),
    ]);
  };

  const requestStop = (mode: StopMode) => {
    if (s.stopMode === 'now') return;
    s.stopMode = mode;
    if (mode === 'now') {
      for (const t of s.running) void getExternalWorkflowHandle(t.trialId).cancel().catch(() => undefined);
    }
    wake = true;
  };

  setHandler(
    trialFinishedSignal,
    (outcome) => {
      const i = s.running.findIndex((t) => t.trialId === outcome.trialId);
      if (i < 0) return; // already recorded (a duplicate report)
      s.running.splice(i, 1);
      s.finished.push(compact(outcome));
      if (breakerOn && outcome.status !== 'cancelled') {
        s.consecutiveFailures = isInfrastructureFailure(outcome) ? (s.consecutiveFailures ?? 0) + 1 : 0;
        if (!s.halted && maxConsecutiveFailures > 0 && s.consecutiveFailures >= maxConsecutiveFailures) {
          s.halted = {
            reason: `${s.consecutiveFailures} trials in a row failed (the last, ${outcome.trialId}: ${outcome.error ?? 'no error message'}); no new trials start. Fix the trainer or the GPU workers and relaunch.`,
          };
        }
      }
      wake = true;
    },
    { description: DESCRIPTIONS.trialFinished },
  );
  setHandler(
    trialProgressSignal,
    ({ trialId, ...progress }) => {
      const t = s.running.find((r) => r.trialId === trialId);
      if (t) t.progress = progress;
    },
    { description: DESCRIPTIONS.trialProgress },
  );
  setHandler(stopStageSignal, (payload) => requestStop(validateStopPayload(payload)), { description: DESCRIPTIONS.stopStage });
  setHandler(stageStateQuery, state, { description: DESCRIPTIONS.stageState });
  setHandler(
    setBudgetUpdate,
    (patch) => {
      s.budget = { ...s.budget, ...validateBudgetPatch(patch) };
      wake = true;
      return s.budget;
    },
    { description: DESCRIPTIONS.setBudget, validator: (patch) => void validateBudgetPatch(patch) },
  );
  setHandler(
    setParallelismUpdate,
    (payload) => {
      s.parallelism = validateParallelism(payload);
      wake = true;
      return s.parallelism;
    },
    { description: DESCRIPTIONS.setParallelism, validator: (payload) => void validateParallelism(payload) },
  );
  const checkEnqueue = (payload: { config: Config }) => {
    if (!payload || typeof payload !== 'object' || !payload.config || typeof payload.config !== 'object') {
      throw ApplicationFailure.create({ type: 'InvalidUpdate', message: 'enqueueConfig: expected {"config": {...}}', nonRetryable: true });
    }
    const problems = validateConfig(s.space, payload.config);
    for (const ex of s.excluded) if (payload.config[ex.param] === ex.value) problems.push(`${ex.param}: ${ex.value} is excluded in this stage`);
    if (problems.length > 0) throw ApplicationFailure.create({ type: 'InvalidUpdate', message: `enqueueConfig: config.${problems.join('; config.')}`, nonRetryable: true });
  };
  setHandler(
    enqueueConfigUpdate,
    (payload) => {
      checkEnqueue(payload);
      s.queued.unshift({ config: payload.config, source: 'enqueued' });
      s.exhausted = false;
      wake = true;
      return 1;
    },
    { description: DESCRIPTIONS.enqueueConfig, validator: checkEnqueue },
  );
  const checkExclude = (payload: { param: string; value: number | string }) => validateExclusion(s.space, s.excluded, payload);
  setHandler(
    excludeValueUpdate,
    (payload) => {
      const { param, value } = validateExclusion(s.space, s.excluded, payload);
      s.excluded.push({ param, value });
      s.queued = s.queued.filter((q) => q.config[param] !== value);
      wake = true;
      return s.excluded;
    },
    { description: DESCRIPTIONS.excludeValue, validator: (payload) => void checkExclude(payload) },
  );

  const startTrial = async (config: Config, source: string) => {
    const trialNumber = s.nextTrialNumber++;
    const trialId = trialWorkflowId(input.pipelineId, plan.name, trialNumber);
    const entry: RunningTrial = { trialId, trialNumber, config, source, startedAt: Date.now() };
    s.running.push(entry);
    await startChild(trialWorkflow, {
      workflowId: trialId,
      args: [trialInput(input, stageId, trialNumber, config)],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${plan.name} trial ${trialNumber} (${source}): lr ${config.learning_rate}, r ${config.lora_r}, batch ${config.per_device_train_batch_size}×${config.gradient_accumulation_steps}`,
    });
    // A `stopStage now` that came while this child was being started could not cancel it yet.
    if (s.stopMode === 'now') void getExternalWorkflowHandle(trialId).cancel().catch(() => undefined);
  };

  const observations = (): Observation[] =>
    s.finished.map((t) => ({ trialId: t.trialId, config: t.config, status: t.status, loss: t.loss, durationSeconds: t.durationSeconds }));

  refreshUi();
  for (;;) {
    let free = freeSlots();
    if (free > 0) {
      const picked: Array<{ config: Config; source: string }> = s.queued.splice(0, free);
      free -= picked.length;
      if (free > 0) {
        const suggestions = await suggestConfigs({
          space: s.space,
          exclude: s.excluded,
          observations: observations(),
          pending: [...s.running.map((t) => t.config), ...picked.map((p) => p.config)],
          count: free,
          seed: input.seed + input.index * 7919,
          costAware: plan.costAware,
        });
        if (suggestions.length === 0) s.exhausted = true;
        picked.push(...suggestions.map((x) => ({ config: x.config, source: x.source })));
      }
      // A stop or a budget change may have arrived while the suggestion was computed.
      const allowed = freeSlots();
      for (const p of picked.slice(0, allowed)) await startTrial(p.config, p.source);
      s.queued.unshift(...picked.slice(allowed).filter((p) => p.source !== 'gp' && p.source !== 'sobol' && p.source !== 'random'));
      refreshUi();
      if (picked.length > 0) continue;
    }
    if (s.running.length === 0 && freeSlots() === 0) break;
    await condition(() => wake);
    wake = false;
    refreshUi();
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof stageWorkflow>(input, s);
    }
  }

  s.stoppedBy = stopReason() ?? 'exhausted';
  const b = best();
  const ranked = s.finished.filter((t) => t.status === 'succeeded' && t.loss !== null).sort((x, y) => (x.loss ?? 0) - (y.loss ?? 0));
  const result: StageResult = {
    stage: plan.name,
    title: plan.title,
    best: b,
    topConfigs: ranked.map((t) => t.finalConfig),
    trials: [...s.finished].sort((x, y) => x.trialNumber - y.trialNumber),
    gpuHours: gpuHours(),
    stoppedBy: s.stoppedBy,
    halted: s.halted ?? null,
    nextBaseModel: b?.checkpointPath ?? null,
  };
  await writeStageSummary({ pipelineId: input.pipelineId, artifactRoot: input.artifactRoot, result });
  refreshUi();
  await condition(allHandlersFinished);
  return result;
}
