// Pure TF.js MAE: no React, no DOM, no worker messages.
export * from './config';
export * from '../shared/prng';
export * from '../shared/masking';
export * from './posembed';
export * from './patchify';
export * from './layers';
export * from './weights';
export * from './mae';
export * from './pixels';
export * from './reconstruct';
export * from './random';
export * from './inspect';
