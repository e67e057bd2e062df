/** The suggest activity (CPU task queue): the GP fit and acquisition live in src/optimizer. */
import { ApplicationFailure } from '@temporalio/activity';
import { suggest, type SuggestRequest, type Suggestion } from '../src/optimizer';
import { narrowSpace } from '../src/space';

export interface SuggestConfigsInput extends SuggestRequest {
  /** Values excluded by the user in this stage (the `excludeValue` update). */
  exclude?: Array<{ param: string; value: number | string }>;
}

export async function suggestConfigs(input: SuggestConfigsInput): Promise<Suggestion[]> {
  const { exclude, ...req } = input;
  let space = req.space;
  try {
    if (exclude && exclude.length > 0) {
      const byParam: Record<string, Array<number | string>> = {};
      for (const e of exclude) (byParam[e.param] ??= []).push(e.value);
      space = narrowSpace(space, { exclude: byParam });
    }
  } catch (err) {
    throw ApplicationFailure.create({ type: 'InvalidSuggestRequest', message: (err as Error).message, nonRetryable: true });
  }
  return suggest({ ...req, space });
}
