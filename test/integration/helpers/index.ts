export * from './lab.js';
export * from './fleet.js';
export * from './project.js';
export * from './snapshot.js';
export * from '../../../src/lab/busybox-image.js';
export * from './swarm.js';
export * from './postgres-image.js';
export * from './smtp-sink.js';
