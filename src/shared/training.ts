// What the page and the worker agree on about fine-tuning: the visitor's defaults and bounds, and the
// words for a run that cannot start or has to stop (said the same way by both sides).

/** Steps a run takes unless the visitor says otherwise (the model's DEFAULT_TRAIN_SETTINGS.steps). */
export const DEFAULT_TRAIN_STEPS = 50;
/** Images per step unless the visitor says otherwise (the model's DEFAULT_TRAIN_SETTINGS.batchSize). */
export const DEFAULT_TRAIN_BATCH = 8;
/** Most steps one run may take (a run can be stopped at any time). */
export const MAX_TRAIN_STEPS = 10_000;
/** Largest batch the page offers, in images (memory grows with it). */
export const MAX_TRAIN_BATCH = 64;

/** Said when there is nothing to train on. */
export const NO_TRAINING_IMAGES = 'add at least one picture to train on (a held-out picture does not count)';
/** Said for a checkpoint without a decoder. */
export const NO_DECODER_TO_TRAIN = 'this checkpoint has no decoder, so it cannot be trained here';

/** Said when a step ran out of memory: the weights of the last good step are kept. */
export function outOfMemoryAdvice(batchSize: number, goodSteps: number): string {
  const smaller = Math.max(1, Math.floor(batchSize / 2));
  return `training ran out of memory with a batch of ${batchSize}; try a smaller batch (e.g. ${smaller})`
    + (goodSteps > 0 ? `. The weights after step ${goodSteps} are kept.` : '.');
}

/** A whole number of steps or images within [1, max]; NaN and blanks give `fallback`. */
export function clampCount(v: number, max: number, fallback: number): number {
  if (!Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(1, Math.round(v)));
}
