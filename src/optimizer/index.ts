/**
 * The Bayesian optimizer: suggest(), the Study ask/tell class, the JSON command's core.
 * Pure TypeScript, no Temporal imports.
 */
export type { SuggestRequest, Suggestion } from './types';
export { suggest } from './suggest';
export { Study } from './study';
export type { StudyOptions, AskedTrial } from './study';
export { runSuggestCommand, SuggestInputError, SuggestCommandSchema, ObservationSchema } from './command';
