// One short line under each of slot A's panels and its figures: what the picture or number is.
// The longer story (why, with a figure) lives in src/features/views/HowItWorks.tsx.

/** The line under each panel, by panel id. */
export const PANEL_HINTS: Readonly<Record<'original' | 'masked' | 'reconstruction' | 'pasted', string>> = {
  original: 'The picture at the size the model takes.',
  masked: 'Only the visible patches go into the encoder; grey ones are hidden from it.',
  reconstruction: "The decoder's raw output for every patch; the visible ones were never scored in training, so they look worse.",
  pasted: 'The visible patches copied back in: only the hidden ones are painted by the model.',
};

/** The line under the figures. */
export const METRICS_HINT = 'MSE and PSNR compare only the hidden patches with the original, in 0–255 pixels (lower MSE, higher PSNR is better); '
  + "the loss is the model's training objective: the mean squared error on the hidden patches, in the normalised pixels it predicts.";
