/**
 * The Bayesian optimizer: suggest(), the Study ask/tell class, parameter importance, and the
 * JSON command's core. Pure TypeScript, no Temporal imports. Modules (Optuna _gp style):
 *   kernel.ts (Matérn-5/2 ARD) · gp.ts (GP, MAP fit) · prior.ts · linalg.ts · lbfgs.ts
 *   acquisition.ts (LogEI, log PoF) · acqf.ts (composite α) · optimize-acqf.ts (mixed search)
 *   transform.ts (unit cube) · sobol.ts · believer.ts (pending) · feasibility.ts (Laplace crash
 *   classifier, cost GP)
 *   suggest.ts (orchestration) · study.ts (ask/tell) · importance.ts · command.ts (JSON)
 */
export type { SuggestRequest, Suggestion } from './types';
export { suggest, N_INITIAL } from './suggest';
export { Study } from './study';
export type { StudyOptions, AskedTrial } from './study';
export { parameterImportance } from './importance';
export { runSuggestCommand, SuggestInputError, SuggestCommandSchema, ObservationSchema } from './command';
