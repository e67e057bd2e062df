/** Request/response types of the optimizer (shared by suggest, the Study class and the JSON command). */
import { Config, Observation } from '../domain';
import { SearchSpace } from '../space';

export interface SuggestRequest {
  space: SearchSpace;
  observations: Observation[];
  /** Configs of trials still running; suggestions are spread away from them. */
  pending: Config[];
  count: number;
  seed: number;
  /** Named or warm-start configs, suggested first unless already observed or pending. */
  initialConfigs?: Config[];
  /** Maximize expected improvement per GPU-hour instead of expected improvement. */
  costAware?: boolean;
}

export interface Suggestion {
  config: Config;
  source: 'initial' | 'sobol' | 'gp' | 'random';
  /** log EI (times probability of success, per cost when cost-aware) at the suggestion, for GP suggestions. */
  acquisition?: number;
}
