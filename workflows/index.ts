/** The workflows a CPU worker registers. */
export { pipelineWorkflow } from './pipeline';
export { stageWorkflow } from './stage';
export { trialWorkflow } from './trial';
