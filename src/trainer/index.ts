/** The trainer: argv, environment, log parsing, outcome classification, process control, files. No Temporal here. */
export * from './spec';
export * from './argv';
export * from './logParser';
export * from './checkpoints';
export * from './outcome';
export * from './process';
export * from './gpuMemory';
export * from './results';
