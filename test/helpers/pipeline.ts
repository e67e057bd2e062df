/** A small three-stage plan on the simulator, with isolated task queues. */
import { parsePipelineConfig, seedPipelineConfig, toPipelineInput } from '../../src/config/pipeline';
import type { PipelineInput } from '../../workflows/types';
import { tempDir } from './tmp';

export function smallPipeline(name: string, opts: { trials?: number[]; parallelism?: number; queue: string; timeScale?: number }): PipelineInput {
  const cfg = seedPipelineConfig({ name, simulator: true, oslodataset: 'test/oslo' });
  cfg.trainer = { preset: 'simulator', timeScale: opts.timeScale ?? 20000 };
  cfg.stages.forEach((st, i) => {
    st.budget = { maxTrials: opts.trials?.[i] ?? 3 };
    st.parallelism = opts.parallelism ?? 2;
    st.initialConfigs = i === 0 ? 'named' : [];
    st.warmStartTopK = i === 0 ? 0 : 1;
  });
  const input = toPipelineInput(parsePipelineConfig(cfg, 'test'), { baseDir: tempDir() });
  return { ...input, gpuTaskQueue: `${opts.queue}-gpu` };
}
