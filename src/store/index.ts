export { createAppStore, DEFAULT_IMG_SIZE, nextFrame } from './createAppStore';
export { SWEEP_RATIOS, sweepKey } from './imagesSlice';
export { DEFAULT_SOURCE, FALLBACK_SOURCE } from './modelSlice';
export { idbPersistence, memoryPersistence, type Persistence, type StoredImage } from './persistence';
export * from './settings';
export type * from './types';
export { StoreProvider, useApp, useAppStore } from './react';
