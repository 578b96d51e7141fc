import * as tf from '@tensorflow/tfjs-core';

/**
 * Reference `patchify`: imgs `[N, 3, H, W]` -> `[N, L, p*p*3]`, each patch's pixels in
 * (row, column, channel) order. Caller owns the result.
 */
export function patchify(imgs: tf.Tensor4D, p: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, c, hh, ww] = imgs.shape;
    const h = hh / p;
    const w = ww / p;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h !== w) {
      throw new RangeError(`image ${hh}x${ww} is not a square multiple of patch size ${p}`);
    }
    const nhwc = tf.transpose(imgs, [0, 2, 3, 1]); // [N, H, W, C]
    // Rank 5 at most, so every backend's transpose handles it.
    const grid = tf.reshape(nhwc, [n, h, p, w, p * c]); // [N, h, p, w, p*C]
    const swapped = tf.transpose(grid, [0, 1, 3, 2, 4]); // [N, h, w, p, p*C]
    return tf.reshape(swapped, [n, h * w, p * p * c]) as tf.Tensor3D;
  });
}

/** Reference `unpatchify`: `[N, L, p*p*3]` -> imgs `[N, 3, H, W]`. Caller owns the result. */
export function unpatchify(x: tf.Tensor3D, p: number, channels = 3): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, l] = x.shape;
    const h = Math.round(Math.sqrt(l));
    if (h * h !== l) throw new RangeError(`${l} patches do not form a square grid`);
    const grid = tf.reshape(x, [n, h, h, p, p * channels]); // [N, h, w, p, p*C]
    const swapped = tf.transpose(grid, [0, 1, 3, 2, 4]); // [N, h, p, w, p*C]
    const nhwc = tf.reshape(swapped, [n, h * p, h * p, channels]); // [N, H, W, C]
    return tf.transpose(nhwc, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}

/** Per-patch mask `[N, L]` (1 = masked) expanded to pixels `[N, 1, H, W]`. Caller owns the result. */
export function maskToPixels(mask: tf.Tensor2D, p: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, l] = mask.shape;
    const per = tf.tile(tf.reshape(mask, [n, l, 1]), [1, 1, p * p]) as tf.Tensor3D; // [N, L, p*p]
    return unpatchify(per, p, 1);
  });
}
