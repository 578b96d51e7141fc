// Attention maps as the inspect views read them (pure: no tf, no DOM). Every stack is
// `[layers, heads, T, T]` row-major softmax weights, rows = queries (each row sums to 1), as
// src/model/inspect.ts returns them: encoder tokens are cls then the visible patches in the
// encoder's order (`idsKeep`), decoder tokens are cls then every patch in patch order.

/** The shape of an attention stack. */
export interface AttentionShape {
  layers: number;
  heads: number;
  tokens: number;
}

function checkStack(attn: ArrayLike<number>, s: AttentionShape): void {
  const want = s.layers * s.heads * s.tokens * s.tokens;
  if (attn.length !== want) {
    throw new RangeError(`attention stack has ${attn.length} values, expected ${s.layers}x${s.heads}x${s.tokens}x${s.tokens}`);
  }
}

/** One layer's map `[T, T]`: one head's, or the mean over heads when `head` is 'mean'. */
export function attentionMap(attn: ArrayLike<number>, s: AttentionShape, layer: number, head: number | 'mean'): Float32Array {
  checkStack(attn, s);
  const tt = s.tokens * s.tokens;
  const out = new Float32Array(tt);
  const heads = head === 'mean' ? [...Array(s.heads).keys()] : [head];
  for (const h of heads) {
    const o = (layer * s.heads + h) * tt;
    for (let i = 0; i < tt; i++) out[i] += attn[o + i] / heads.length;
  }
  return out;
}

/** Head-averaged map of every layer with the residual added: `0.5 A + 0.5 I` (rows still sum to 1). */
function residualMaps(attn: ArrayLike<number>, s: AttentionShape): Float64Array[] {
  checkStack(attn, s);
  const t = s.tokens;
  return Array.from({ length: s.layers }, (_, l) => {
    const a = Float64Array.from(attentionMap(attn, s, l, 'mean'));
    // Abnar & Zuidema: A + I renormalised; rows of A sum to 1, so that is (A + I) / 2.
    for (let i = 0; i < t * t; i++) a[i] *= 0.5;
    for (let i = 0; i < t; i++) a[i * t + i] += 0.5;
    return a;
  });
}

/**
 * Attention rollout (Abnar & Zuidema, 2020): heads averaged, identity added for the residual
 * path and rows renormalised, then multiplied through the layers, `R = Â_last ... Â_first`.
 * Returns `[T, T]`: row i says how much each input token flows into token i after the last layer
 * (row 0: the cls token). Costs layers x T^3; for one row use attentionRolloutRow.
 */
export function attentionRollout(attn: ArrayLike<number>, s: AttentionShape): Float32Array {
  const t = s.tokens;
  const maps = residualMaps(attn, s);
  let r = new Float64Array(t * t);
  for (let i = 0; i < t; i++) r[i * t + i] = 1;
  for (const a of maps) {
    const next = new Float64Array(t * t);
    for (let i = 0; i < t; i++) {
      for (let k = 0; k < t; k++) {
        const aik = a[i * t + k];
        if (aik === 0) continue;
        for (let j = 0; j < t; j++) next[i * t + j] += aik * r[k * t + j];
      }
    }
    r = next;
  }
  return Float32Array.from(r);
}

/** Row `row` of attentionRollout `[T]`, in layers x T^2 (a row vector pushed down from the last layer). */
export function attentionRolloutRow(attn: ArrayLike<number>, s: AttentionShape, row: number): Float32Array {
  const t = s.tokens;
  if (!Number.isInteger(row) || row < 0 || row >= t) throw new RangeError(`row ${row} is not a token of ${t}`);
  const maps = residualMaps(attn, s);
  let v = new Float64Array(t);
  v[row] = 1;
  for (let l = maps.length - 1; l >= 0; l--) {
    const a = maps[l];
    const next = new Float64Array(t);
    for (let k = 0; k < t; k++) {
      const vk = v[k];
      if (vk === 0) continue;
      for (let j = 0; j < t; j++) next[j] += vk * a[k * t + j];
    }
    v = next;
  }
  return Float32Array.from(v);
}

/**
 * Encoder token values `[1+keep]` (cls first) placed on the patch grid `[L]` by `idsKeep`; masked
 * patches (no token) get `fill`. The cls value is dropped.
 */
export function encoderTokensToPatches(values: ArrayLike<number>, idsKeep: ArrayLike<number>, numPatches: number,
  fill = Number.NaN): Float32Array {
  if (values.length !== 1 + idsKeep.length) {
    throw new RangeError(`${values.length} token values for ${idsKeep.length} visible patches (cls first)`);
  }
  const out = new Float32Array(numPatches).fill(fill);
  for (let i = 0; i < idsKeep.length; i++) out[idsKeep[i]] = values[1 + i];
  return out;
}
