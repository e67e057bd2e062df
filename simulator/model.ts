/**
 * The simulator's world model: what a VibeVoice-7B QLoRA run would do with a given configuration.
 * Pure functions, deterministic for (seed, config). None of these numbers are measurements; they
 * are plausible shapes built from the figures in TRAINER.md so that the optimizer has something
 * realistic to find (an interior optimum, interactions, noise, an OOM region, a NaN region).
 *
 * Notation: bs = per_device_train_batch_size, ga = gradient_accumulation_steps, B = bs·ga
 * (effective batch), r = lora_r, a = lora_alpha, m = ddpm_batch_mul, lr = learning_rate.
 */

export interface SimConfig {
  bs: number;
  ga: number;
  lr: number;
  m: number;
  diffusionWeight: number;
  ceWeight: number;
  dropRate: number;
  r: number;
  alpha: number;
  warmup: number;
  maxGradNorm: number;
  epochs: number;
  gradientClipping: boolean;
  gradientCheckpointing: boolean;
  /** The base model is a previous stage's checkpoint (a local folder), not the hub model. */
  fromCheckpoint: boolean;
  /** The dataset: each one moves the sweet spots a little, so every stage has its own optimum. */
  dataset?: string;
}

/** A dataset's shift of the response surface: lr optimum ×0.7–1.4, a loss offset, rank taste. */
export function datasetShift(dataset: string | undefined): { lrFactor: number; offset: number; rankWeight: number } {
  if (!dataset) return { lrFactor: 1, offset: 0, rankWeight: 1 };
  const u = rng(hash32(`dataset|${dataset}`));
  return { lrFactor: 0.7 * 2 ** u(), offset: 0.08 * (u() - 0.5), rankWeight: 0.6 + 0.8 * u() };
}

// ---- deterministic randomness -----------------------------------------------------------------

/** FNV-1a 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small, good-enough PRNG returning [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from a uniform source (Box–Muller). */
export function gauss(u: () => number): number {
  const u1 = Math.max(u(), 1e-12);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u());
}

export function configKey(c: SimConfig): string {
  return JSON.stringify([c.bs, c.ga, c.lr, c.m, c.diffusionWeight, c.ceWeight, c.dropRate, c.r, c.alpha, c.warmup, c.maxGradNorm, c.epochs]);
}

// ---- schedule ---------------------------------------------------------------------------------

/** Hugging Face: steps/epoch = floor(ceil(N / bs) / ga) (at least 1); max_steps = that × epochs. */
export function maxSteps(datasetSize: number, c: SimConfig): number {
  const batches = Math.ceil(datasetSize / c.bs);
  const perEpoch = Math.max(1, Math.floor(batches / c.ga));
  return Math.ceil(perEpoch * c.epochs);
}

/** Cosine schedule with linear warmup, as `--lr_scheduler_type cosine --warmup_ratio w`. */
export function learningRateAt(step: number, total: number, c: SimConfig): number {
  const warm = Math.ceil(total * c.warmup);
  if (step < warm) return (c.lr * step) / Math.max(1, warm);
  const p = (step - warm) / Math.max(1, total - warm);
  return c.lr * 0.5 * (1 + Math.cos(Math.PI * p));
}

// ---- memory (GB) --------------------------------------------------------------------------------

/**
 * Peak GPU memory. 4-bit 7B weights + processor + diffusion head + CUDA context ≈ 14 GB; LoRA
 * parameters with Adam state grow with r; activations grow with bs and linearly with m (TRAINER.md:
 * "Activation memory of the diffusion head grows linearly with ddpm_batch_mul"); without gradient
 * checkpointing activations are ~3× larger. bs 6, m 6, r 32 → ≈ 43 GB; bs 16, m 8 → OOM on 80 GB.
 */
export function peakMemoryGb(c: SimConfig): number {
  const base = 14;
  const lora = 0.09 * c.r;
  const perSample = (c.gradientCheckpointing ? 1.6 : 4.8) * (1 + 0.35 * (c.m - 1));
  return base + lora + c.bs * perSample;
}

// ---- throughput ---------------------------------------------------------------------------------

/** Samples per second: better with larger batches (saturating), worse with rank, m and checkpointing. */
export function samplesPerSecond(c: SimConfig): number {
  const batchEff = c.bs / (c.bs + 2);
  const rank = 1 / (1 + 0.004 * c.r);
  const ddpm = 1 / (1 + 0.06 * (c.m - 1));
  const ckpt = c.gradientCheckpointing ? 0.75 : 1;
  return 5.2 * batchEff * rank * ddpm * ckpt;
}

// ---- loss ---------------------------------------------------------------------------------------

export interface LossModel {
  /** Unweighted CE and diffusion losses the run converges to. */
  ceFinal: number;
  diffFinal: number;
  /** Logged loss = ceWeight·ce + diffusionWeight·diff (what VibeVoice's trainer reports). */
  finalLoss: number;
  /** The run diverges (NaN) at this fraction of training, or never (null). */
  nanAt: number | null;
}

/**
 * The response surface over all eleven hyperparameters. Quality q ≥ 0 (lower is better) adds
 * penalties for leaving each parameter's sweet spot; the sweet spot of lr moves with √B (linear
 * scaling heuristics), alpha/r ≈ 2 is best, more rank and m help with diminishing returns, more
 * epochs help, a larger B means fewer updates in the same epochs. Noise: seeded by (seed, config).
 */
export function lossModel(c: SimConfig, seed: number): LossModel {
  const B = c.bs * c.ga;
  const shift = datasetShift(c.dataset);
  const lrOpt = 3e-5 * shift.lrFactor * Math.sqrt(B / 144);
  const u = rng(hash32(`${seed}|${configKey(c)}`));
  let q = shift.offset;
  q += 0.22 * Math.log10(c.lr / lrOpt) ** 2;
  q += 0.05 * Math.log2(B / 144) ** 2 * 0.5 + 0.03 * Math.log2(B / 144);
  q += -0.045 * shift.rankWeight * Math.log2(Math.min(c.r, 128) / 8);
  q += 0.04 * (Math.log2(c.alpha / c.r) - 1) ** 2;
  q += -0.03 * Math.log2(Math.max(1, c.m));
  q += 0.35 * (c.dropRate - 0.15) ** 2;
  q += 6 * (c.warmup - 0.05) ** 2;
  const clip = c.gradientClipping ? c.maxGradNorm : Infinity;
  q += c.gradientClipping ? 0.03 * (c.maxGradNorm - 0.9) ** 2 : 0.02;
  q += -0.06 * Math.log2(Math.max(0.25, c.epochs));
  if (c.fromCheckpoint) q -= 0.05;
  // The weights steer what the model learns, not only how the loss is summed.
  q += 0.04 * (c.diffusionWeight - 1.4) ** 2 + 4 * (c.ceWeight - 0.05) ** 2;
  const noise = 0.012 * gauss(u);
  const ceFinal = Math.max(0.3, 1.6 + 1.2 * q + noise);
  const diffFinal = Math.max(0.05, 0.32 + 0.35 * q + 0.5 * noise);
  // Divergence: lr far above its sweet spot, worse without clipping.
  const danger = c.lr / lrOpt / (Number.isFinite(clip) ? 1 + 1 / Math.max(clip, 0.1) : 1);
  const nanAt = danger > 6 ? 0.1 + 0.6 * u() : null;
  return { ceFinal, diffFinal, finalLoss: c.ceWeight * ceFinal + c.diffusionWeight * diffFinal, nanAt };
}

/** The logged (weighted) loss at training progress p ∈ [0, 1], with per-step noise. */
export function lossAt(p: number, c: SimConfig, lm: LossModel, noise: number): { loss: number; ce: number; diff: number } {
  const decay = Math.exp(-5 * p);
  const ce = lm.ceFinal + 3.2 * decay + 0.03 * noise;
  const diff = lm.diffFinal + 0.6 * decay + 0.01 * noise;
  return { loss: c.ceWeight * ce + c.diffusionWeight * diff, ce, diff };
}
