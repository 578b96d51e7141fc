// Reference state-dict names and shapes of an architecture: plain data, no tf.
import { decoderMlpHiddenDim, mlpHiddenDim, numPatches, type MaeConfig } from './config';

/** q, k and v stacked in one fused projection. */
const QKV_PARTS = 3;

/** Position tables that may be absent: both are fixed 2-D sin-cos in MAE, so the model can rebuild them. */
export const OPTIONAL_PARAMS: ReadonlySet<string> = new Set(['pos_embed', 'decoder_pos_embed']);

function blockShapes(out: Map<string, number[]>, prefix: string, depth: number, dim: number, hidden: number): void {
  for (let i = 0; i < depth; i++) {
    const b = `${prefix}.${i}`;
    out.set(`${b}.norm1.weight`, [dim]);
    out.set(`${b}.norm1.bias`, [dim]);
    out.set(`${b}.attn.qkv.weight`, [QKV_PARTS * dim, dim]);
    out.set(`${b}.attn.qkv.bias`, [QKV_PARTS * dim]);
    out.set(`${b}.attn.proj.weight`, [dim, dim]);
    out.set(`${b}.attn.proj.bias`, [dim]);
    out.set(`${b}.norm2.weight`, [dim]);
    out.set(`${b}.norm2.bias`, [dim]);
    out.set(`${b}.mlp.fc1.weight`, [hidden, dim]);
    out.set(`${b}.mlp.fc1.bias`, [hidden]);
    out.set(`${b}.mlp.fc2.weight`, [dim, hidden]);
    out.set(`${b}.mlp.fc2.bias`, [dim]);
  }
}

/** Every reference parameter name with its shape, in the reference state-dict order. */
export function expectedParamShapes(c: MaeConfig): Map<string, number[]> {
  const e = c.embedDim;
  const d = c.decoderEmbedDim;
  const tokens = 1 + numPatches(c);
  const pixels = c.patchSize * c.patchSize * c.inChans;
  const out = new Map<string, number[]>();
  out.set('cls_token', [1, 1, e]);
  out.set('pos_embed', [1, tokens, e]);
  out.set('mask_token', [1, 1, d]);
  out.set('decoder_pos_embed', [1, tokens, d]);
  out.set('patch_embed.proj.weight', [e, c.inChans, c.patchSize, c.patchSize]);
  out.set('patch_embed.proj.bias', [e]);
  blockShapes(out, 'blocks', c.depth, e, mlpHiddenDim(c));
  out.set('norm.weight', [e]);
  out.set('norm.bias', [e]);
  out.set('decoder_embed.weight', [d, e]);
  out.set('decoder_embed.bias', [d]);
  blockShapes(out, 'decoder_blocks', c.decoderDepth, d, decoderMlpHiddenDim(c));
  out.set('decoder_norm.weight', [d]);
  out.set('decoder_norm.bias', [d]);
  out.set('decoder_pred.weight', [pixels, d]);
  out.set('decoder_pred.bias', [pixels]);
  return out;
}
