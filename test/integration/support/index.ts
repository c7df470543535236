export * from './aws.js';
export * from './env.js';
export * from './kube.js';
export * from './kubectl.js';
export * from './controller-process.js';
export * from './wait-for.js';
export * from './captured-run.js';
