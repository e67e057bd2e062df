/**
 * The seed framework's search space (../../shared/seed/README.md, "Hyperparameter Search Space")
 * and its five named stage-1 configs.
 *
 * The seed README gives the ranges and the initial values (lr 2e-5, 2.5e-5, 3e-5, 3.5e-5, 4e-5;
 * r/α 16/32, 24/48, 32/64, 48/96); conservative and aggressive are as the team specified them.
 * The seed's bayesopt_config.py is not in the repository, so high_capacity, fast_converge and
 * balanced are reconstructed from the README's descriptions with those listed values.
 */
import { Config } from '../domain';
import { SearchSpace } from './schema';

export function seedSearchSpace(): SearchSpace {
  return {
    params: {
      learning_rate: { type: 'float', low: 1e-5, high: 5e-5, log: true },
      lora_r: { type: 'int', low: 8, high: 64 },
      lora_alpha: { type: 'int', low: 16, high: 128 },
      per_device_train_batch_size: { type: 'categorical', choices: [2, 4, 6, 8] },
      gradient_accumulation_steps: { type: 'categorical', choices: [16, 24, 32, 48, 64] },
      diffusion_loss_weight: { type: 'float', low: 0.8, high: 2.0 },
      ce_loss_weight: { type: 'float', low: 0.02, high: 0.08 },
      voice_prompt_drop_rate: { type: 'float', low: 0.0, high: 0.5 },
      warmup_ratio: { type: 'float', low: 0.01, high: 0.1 },
      max_grad_norm: { type: 'float', low: 0.5, high: 1.5 },
      ddpm_batch_mul: { type: 'int', low: 2, high: 8 },
    },
    constraints: [
      { type: 'product_range', params: ['per_device_train_batch_size', 'gradient_accumulation_steps'], min: 64, max: 256 },
      { type: 'ratio_range', numerator: 'lora_alpha', denominator: 'lora_r', min: 2, max: 4 },
    ],
  };
}

export const NAMED_INITIAL_CONFIGS: ReadonlyArray<{ name: string; config: Config }> = Object.freeze([
  {
    name: 'conservative',
    config: {
      learning_rate: 2.5e-5, lora_r: 16, lora_alpha: 32, per_device_train_batch_size: 4, gradient_accumulation_steps: 32,
      diffusion_loss_weight: 1.4, ce_loss_weight: 0.04, voice_prompt_drop_rate: 0.2, warmup_ratio: 0.03, max_grad_norm: 0.8, ddpm_batch_mul: 4,
    },
  },
  {
    name: 'aggressive',
    config: {
      learning_rate: 4e-5, lora_r: 32, lora_alpha: 64, per_device_train_batch_size: 6, gradient_accumulation_steps: 24,
      diffusion_loss_weight: 1.6, ce_loss_weight: 0.06, voice_prompt_drop_rate: 0.1, warmup_ratio: 0.05, max_grad_norm: 1.0, ddpm_batch_mul: 6,
    },
  },
  {
    // Large LoRA capacity; small per-device batch with long accumulation to fit memory.
    name: 'high_capacity',
    config: {
      learning_rate: 2e-5, lora_r: 48, lora_alpha: 96, per_device_train_batch_size: 2, gradient_accumulation_steps: 64,
      diffusion_loss_weight: 1.5, ce_loss_weight: 0.05, voice_prompt_drop_rate: 0.2, warmup_ratio: 0.05, max_grad_norm: 0.8, ddpm_batch_mul: 4,
    },
  },
  {
    // Higher lr, large per-device batch, short accumulation, short warmup: quick convergence.
    name: 'fast_converge',
    config: {
      learning_rate: 3.5e-5, lora_r: 24, lora_alpha: 48, per_device_train_batch_size: 8, gradient_accumulation_steps: 16,
      diffusion_loss_weight: 1.2, ce_loss_weight: 0.04, voice_prompt_drop_rate: 0.15, warmup_ratio: 0.02, max_grad_norm: 1.2, ddpm_batch_mul: 4,
    },
  },
  {
    // Middle of every range the README lists.
    name: 'balanced',
    config: {
      learning_rate: 3e-5, lora_r: 24, lora_alpha: 48, per_device_train_batch_size: 4, gradient_accumulation_steps: 48,
      diffusion_loss_weight: 1.4, ce_loss_weight: 0.05, voice_prompt_drop_rate: 0.25, warmup_ratio: 0.05, max_grad_norm: 1.0, ddpm_batch_mul: 5,
    },
  },
].map((e) => Object.freeze({ name: e.name, config: Object.freeze({ ...e.config }) as Config })));
