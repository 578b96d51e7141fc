// The fine-tuned checkpoint as one download: a zip (stored, not compressed: float weights barely
// shrink) holding the Hugging Face files config.json and model.safetensors.
import { strToU8, zipSync } from 'fflate';
import { SAVED_CONFIG_NAME, SAVED_WEIGHTS_NAME } from '../../store/savedCheckpoints';

/** The zip's bytes for a checkpoint's two files. */
export function checkpointZip(configJson: string, safetensors: Uint8Array): Uint8Array {
  return zipSync({ [SAVED_CONFIG_NAME]: strToU8(configJson), [SAVED_WEIGHTS_NAME]: safetensors }, { level: 0 });
}

/** A file name for the download from a kept checkpoint's id. */
export const zipName = (id: string): string => `mae-${id}.zip`;
