/**
 * Custom search attributes: the Web UI's workflow list can filter and show them as columns, e.g.
 * `VibeoptPipeline = "norwegian" AND VibeoptBestLoss < 0.5`. The dev server registers them at start.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const pipelineKey = defineSearchAttributeKey('VibeoptPipeline', SearchAttributeType.KEYWORD);
export const stageKey = defineSearchAttributeKey('VibeoptStage', SearchAttributeType.KEYWORD);
export const bestLossKey = defineSearchAttributeKey('VibeoptBestLoss', SearchAttributeType.DOUBLE);
export const trialsDoneKey = defineSearchAttributeKey('VibeoptTrialsDone', SearchAttributeType.INT);

export const ALL_SEARCH_ATTRIBUTES = [pipelineKey, stageKey, bestLossKey, trialsDoneKey];
