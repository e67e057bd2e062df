/**
 * Checkpoint discovery (TRAINER.md, "What it writes"): `<output_dir>/checkpoint-<step>/` with
 * `trainer_state.json` (epoch, global_step, max_steps, log_history[] with `step` on each entry).
 * A checkpoint counts as complete when its trainer_state.json parses and names the same step: a
 * process killed while saving leaves a folder without it (or with a torn file), which is skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TrainerState {
  epoch?: number;
  global_step: number;
  max_steps?: number;
  log_history?: Array<Record<string, unknown>>;
}

export interface Checkpoint {
  step: number;
  dir: string;
  state: TrainerState;
}

const CHECKPOINT_RE = /^checkpoint-(\d+)$/;

/** Reads and checks `<dir>/trainer_state.json`; null when missing, torn or inconsistent. */
export function readTrainerState(dir: string): TrainerState | null {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8')) as unknown;
    if (typeof state !== 'object' || state === null) return null;
    const gs = (state as { global_step?: unknown }).global_step;
    if (typeof gs !== 'number' || !Number.isInteger(gs)) return null;
    return state as TrainerState;
  } catch {
    return null;
  }
}

/** All complete checkpoints in an output directory, oldest first. */
export function listCheckpoints(outputDir: string): Checkpoint[] {
  let names: string[];
  try {
    names = fs.readdirSync(outputDir);
  } catch {
    return [];
  }
  const out: Checkpoint[] = [];
  for (const name of names) {
    const m = CHECKPOINT_RE.exec(name);
    if (!m) continue;
    const step = Number(m[1]);
    const dir = path.join(outputDir, name);
    const state = readTrainerState(dir);
    if (state === null || state.global_step !== step) continue;
    out.push({ step, dir, state });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint, or null. */
export function newestCheckpoint(outputDir: string): Checkpoint | null {
  return listCheckpoints(outputDir).at(-1) ?? null;
}

/** The loss curve recorded in a trainer_state.json (entries with both `step` and a finite `loss`). */
export function lossCurveFromState(state: TrainerState): Array<{ step: number; loss: number }> {
  const out: Array<{ step: number; loss: number }> = [];
  for (const e of state.log_history ?? []) {
    const step = e.step;
    const loss = typeof e.loss === 'string' ? Number(e.loss) : e.loss;
    if (typeof step === 'number' && typeof loss === 'number' && Number.isFinite(loss)) out.push({ step, loss });
  }
  return out;
}
