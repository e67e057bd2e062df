/**
 * The OOM ladder: after a CUDA out-of-memory failure the trial is re-run with the per-device batch
 * halved and gradient accumulation raised so that the effective batch (batch × accumulation) stays
 * the same. At batch size 1 there is no rung left and the config is infeasible on this GPU.
 */
import type { Config } from '../src/domain';

export const BATCH_PARAM = 'per_device_train_batch_size';
export const ACCUM_PARAM = 'gradient_accumulation_steps';

/** The next rung, or null when the batch is already 1. */
export function halveBatch(config: Config): Config | null {
  const batch = Number(config[BATCH_PARAM]);
  const accum = Number(config[ACCUM_PARAM] ?? 1);
  if (!Number.isFinite(batch) || batch <= 1) return null;
  const nextBatch = Math.max(1, Math.floor(batch / 2));
  // batch × accum / nextBatch is whole for the seed's batches (2, 4, 6, 8 → 4/3/2/1 → ...);
  // for odd batches it rounds up so the effective batch never shrinks.
  const nextAccum = Math.ceil((batch * accum) / nextBatch);
  return { ...config, [BATCH_PARAM]: nextBatch, [ACCUM_PARAM]: nextAccum };
}
