/**
 * Ask/tell interface over suggest(): the Study keeps the history and the pending trials.
 *
 *   const study = new Study({ space, seed: 1 });
 *   const [t] = study.ask();          // t.trialId, t.config
 *   study.tell({ trialId: t.trialId, config: t.config, status: 'succeeded', loss: 0.3, durationSeconds: 3600 });
 */
import { Config, Observation } from '../domain';
import { SearchSpace, configKey } from '../space';
import { suggest } from './suggest';
import { Suggestion } from './types';

export interface StudyOptions {
  space: SearchSpace;
  seed: number;
  initialConfigs?: Config[];
  costAware?: boolean;
  observations?: Observation[];
}

export interface AskedTrial extends Suggestion {
  trialId: string;
}

export class Study {
  readonly space: SearchSpace;
  private readonly seed: number;
  private readonly initialConfigs?: Config[];
  private readonly costAware: boolean;
  private readonly history: Observation[];
  private readonly running = new Map<string, Config>();
  private counter = 0;

  constructor(opts: StudyOptions) {
    this.space = opts.space;
    this.seed = opts.seed;
    this.initialConfigs = opts.initialConfigs;
    this.costAware = opts.costAware ?? false;
    this.history = [...(opts.observations ?? [])];
  }

  /** n new suggestions; each is pending until told. */
  ask(n = 1): AskedTrial[] {
    const sugs = suggest({
      space: this.space,
      observations: this.history,
      pending: [...this.running.values()],
      count: n,
      seed: this.seed,
      initialConfigs: this.initialConfigs,
      costAware: this.costAware,
    });
    return sugs.map((s) => {
      const trialId = `trial-${this.counter++}`;
      this.running.set(trialId, s.config);
      return { ...s, trialId };
    });
  }

  /** Records a finished trial; removes its pending entry (by trialId, else by config). */
  tell(obs: Observation): void {
    if (!this.running.delete(obs.trialId)) {
      const key = configKey(this.space, obs.config);
      for (const [id, c] of this.running) {
        if (configKey(this.space, c) === key) {
          this.running.delete(id);
          break;
        }
      }
    }
    this.history.push(obs);
  }

  get observations(): readonly Observation[] {
    return this.history;
  }

  get pending(): Config[] {
    return [...this.running.values()];
  }

  /** The succeeded observation with the lowest finite loss. */
  best(): Observation | undefined {
    let best: Observation | undefined;
    for (const o of this.history) {
      if (o.status !== 'succeeded' || o.loss === null || !Number.isFinite(o.loss)) continue;
      if (!best || (o.loss as number) < (best.loss as number)) best = o;
    }
    return best;
  }
}
