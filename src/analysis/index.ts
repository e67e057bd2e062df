/**
 * Analysis of finished trials (`vibeopt analyze`, `vibeopt report`): loading either results
 * layout, ranking, importance, correlations, next suggestions. Pure TypeScript, no Temporal.
 */
export * from './types';
export { loadResults, TrialResultsFileSchema } from './load';
export { summarizeTrainingLog } from './trainingLog';
export type { LogSummary } from './trainingLog';
export { analyze, resultsSummaryJson, writeResultsSummary, stageOrder, numericValue } from './analyze';
export type { Analysis, AnalyzeOptions, StageAnalysis, RankedTrial, Correlation } from './analyze';
export { parameterImportance, IMPORTANCE_METHOD } from './importance';
export type { ImportanceResult, ParamImportance, ImportanceOptions } from './importance';
export { fitGp } from './gp';
export type { FittedGp } from './gp';
export { spearman, pearson, ranks } from './stats';
export { formatAnalysisText } from './format';
