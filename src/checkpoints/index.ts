// Public API of the checkpoint readers: pure TypeScript over bytes, usable in a page, a worker or Node.
export { CheckpointError } from './types';
export type { HostTensor, LoadedCheckpoint, MaeParams, StoredDType, StoredTensor } from './types';
export { loadCheckpoint, detectFormat } from './load';
export type { CheckpointFile, CheckpointFormat, LoadOptions } from './load';
export { readSafetensors, readSafetensorsLenient, writeSafetensors, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsFile, LenientSafetensorsFile, TensorToWrite } from './safetensors';
export { readTorchCheckpoint } from './torch';
export type { TorchCheckpoint } from './torch';
export { readNpy } from './npy';
export type { NpyArray, NpyDType } from './npy';
export {
  toFloat32, float32ToFloat16Bytes, float32ToBfloat16Bytes, float32ToBytes,
  float16BitsToNumber, bfloat16BitsToNumber, numberToFloat16Bits, numberToBfloat16Bits, numel, ITEM_SIZE,
} from './dtypes';
export { inferConfig } from './infer';
export type { InferOptions } from './infer';
export { expectedShapes, detectLayout, mapToReference, OPTIONAL_PARAMS } from './names';
export type { Layout } from './names';
