import { LoadError, nameOf } from '../shared/errors';

// Parameter names. Everything downstream uses the reference `models_mae.py` names; Hugging Face
// `ViTMAEForPreTraining` names are mapped onto them, with separate q/k/v projections concatenated
// (in that order along the output dimension) into the reference's fused `attn.qkv`.

/** Which naming scheme a state dict uses. */
export type Layout = 'pth' | 'hf';

// The parameter list and its optional position tables are the model's own.
export { expectedParamShapes as expectedShapes, OPTIONAL_PARAMS } from '../model/shapes';

/** Buffers some exporters add that carry no weights (never needed, never worth an error). */
const HARMLESS_EXTRAS = [/(^|\.)num_batches_tracked$/, /(^|\.)position_ids$/, /(^|\.)relative_position_index$/];

/** True for a stored name that is neither a parameter nor worth complaining about. */
export function isHarmlessExtra(name: string): boolean {
  return HARMLESS_EXTRAS.some((r) => r.test(name));
}

/** DDP / DataParallel wrap every name in this prefix. */
const DDP_PREFIX = 'module.';

/** Drops a `module.` prefix when every name carries it (state dicts saved from DistributedDataParallel). */
export function stripWrapperPrefix(names: string[]): Map<string, string> {
  const all = names.length > 0 && names.every((n) => n.startsWith(DDP_PREFIX));
  return new Map(names.map((n) => [all ? n.slice(DDP_PREFIX.length) : n, n]));
}

const HF_MARKERS = [/^vit\./, /^decoder\.decoder_/, /^decoder\.mask_token$/, /^embeddings\./, /^encoder\.layer\./];

/** Tells the Hugging Face layout from the reference one by its names. */
export function detectLayout(names: Iterable<string>): Layout {
  for (const n of names) if (HF_MARKERS.some((r) => r.test(n))) return 'hf';
  return 'pth';
}

/** Reference block sub-names for each HF layer sub-name; q/k/v map to a slot of the fused qkv. */
const HF_LAYER_RULES: readonly { re: RegExp; ref: (m: RegExpExecArray) => string; part?: number }[] = [
  { re: /^layernorm_before\.(weight|bias)$/, ref: (m) => `norm1.${m[1]}` },
  { re: /^attention\.attention\.query\.(weight|bias)$/, ref: (m) => `attn.qkv.${m[1]}`, part: 0 },
  { re: /^attention\.attention\.key\.(weight|bias)$/, ref: (m) => `attn.qkv.${m[1]}`, part: 1 },
  { re: /^attention\.attention\.value\.(weight|bias)$/, ref: (m) => `attn.qkv.${m[1]}`, part: 2 },
  { re: /^attention\.output\.dense\.(weight|bias)$/, ref: (m) => `attn.proj.${m[1]}` },
  { re: /^layernorm_after\.(weight|bias)$/, ref: (m) => `norm2.${m[1]}` },
  { re: /^intermediate\.dense\.(weight|bias)$/, ref: (m) => `mlp.fc1.${m[1]}` },
  { re: /^output\.dense\.(weight|bias)$/, ref: (m) => `mlp.fc2.${m[1]}` },
];
const QKV_PARTS = 3;

/** Top-level HF names (after an optional `vit.` prefix on the encoder) -> reference names. */
const HF_TOP_RULES: readonly { re: RegExp; ref: (m: RegExpExecArray) => string }[] = [
  { re: /^(?:vit\.)?embeddings\.cls_token$/, ref: () => 'cls_token' },
  { re: /^(?:vit\.)?embeddings\.position_embeddings$/, ref: () => 'pos_embed' },
  { re: /^(?:vit\.)?embeddings\.patch_embeddings\.projection\.(weight|bias)$/, ref: (m) => `patch_embed.proj.${m[1]}` },
  { re: /^(?:vit\.)?layernorm\.(weight|bias)$/, ref: (m) => `norm.${m[1]}` },
  { re: /^decoder\.decoder_embed\.(weight|bias)$/, ref: (m) => `decoder_embed.${m[1]}` },
  { re: /^decoder\.mask_token$/, ref: () => 'mask_token' },
  { re: /^decoder\.decoder_pos_embed$/, ref: () => 'decoder_pos_embed' },
  { re: /^decoder\.decoder_norm\.(weight|bias)$/, ref: (m) => `decoder_norm.${m[1]}` },
  { re: /^decoder\.decoder_pred\.(weight|bias)$/, ref: (m) => `decoder_pred.${m[1]}` },
];
const HF_LAYER_PREFIXES: readonly { re: RegExp; ref: string }[] = [
  { re: /^(?:vit\.)?encoder\.layer\.(\d+)\.(.+)$/, ref: 'blocks' },
  { re: /^decoder\.decoder_layers\.(\d+)\.(.+)$/, ref: 'decoder_blocks' },
];

/** One reference parameter and the stored tensors it is made of (three for an HF fused qkv). */
export interface MappedParam {
  /** Stored names; a hole means that part (e.g. the key projection) is missing. */
  sources: (string | undefined)[];
}

/** Maps stored names onto reference names; names that fit no rule come back in `unmapped`. */
export function mapToReference(names: Iterable<string>, layout: Layout): {
  params: Map<string, MappedParam>;
  unmapped: string[];
} {
  const params = new Map<string, MappedParam>();
  const unmapped: string[] = [];
  for (const name of names) {
    if (layout === 'pth') {
      params.set(name, { sources: [name] });
      continue;
    }
    const hit = mapHfName(name);
    if (!hit) {
      unmapped.push(name);
      continue;
    }
    const p = params.get(hit.ref)
      ?? { sources: new Array<string | undefined>(hit.part === undefined ? 1 : QKV_PARTS).fill(undefined) };
    const slot = hit.part ?? 0;
    const other = p.sources[slot];
    // e.g. `vit.layernorm.weight` and `layernorm.weight`: which one the model should use is anyone's guess.
    if (other !== undefined) {
      throw new LoadError(`${nameOf(other)} and ${nameOf(name)} are both ${hit.ref}${hit.part === undefined ? '' : ` (part ${slot + 1} of 3)`}; `
        + 'a checkpoint must hold each parameter once', 'not-a-checkpoint');
    }
    p.sources[slot] = name;
    params.set(hit.ref, p);
  }
  return { params, unmapped };
}

function mapHfName(name: string): { ref: string; part?: number } | undefined {
  for (const rule of HF_TOP_RULES) {
    const m = rule.re.exec(name);
    if (m) return { ref: rule.ref(m) };
  }
  for (const prefix of HF_LAYER_PREFIXES) {
    const m = prefix.re.exec(name);
    if (!m) continue;
    for (const rule of HF_LAYER_RULES) {
      const s = rule.re.exec(m[2]);
      if (s) return { ref: `${prefix.ref}.${m[1]}.${rule.ref(s)}`, part: rule.part };
    }
  }
  return undefined;
}

/** True when any reference name belongs to the decoder. */
export function hasDecoder(refNames: Iterable<string>): boolean {
  for (const n of refNames) if (n === 'mask_token' || n.startsWith('decoder_')) return true;
  return false;
}


/** Reference block sub-names -> Hugging Face layer sub-names (the inverse of HF_LAYER_RULES; qkv is three). */
const REF_TO_HF_LAYER: readonly [string, string[]][] = [
  ['norm1', ['layernorm_before']],
  ['attn.qkv', ['attention.attention.query', 'attention.attention.key', 'attention.attention.value']],
  ['attn.proj', ['attention.output.dense']],
  ['norm2', ['layernorm_after']],
  ['mlp.fc1', ['intermediate.dense']],
  ['mlp.fc2', ['output.dense']],
];
/** Reference top-level names (or prefixes before `.weight`/`.bias`) -> the names ViTMAEForPreTraining saves. */
const REF_TO_HF_TOP: Readonly<Record<string, string>> = {
  cls_token: 'vit.embeddings.cls_token',
  pos_embed: 'vit.embeddings.position_embeddings',
  'patch_embed.proj': 'vit.embeddings.patch_embeddings.projection',
  norm: 'vit.layernorm',
  decoder_embed: 'decoder.decoder_embed',
  mask_token: 'decoder.mask_token',
  decoder_pos_embed: 'decoder.decoder_pos_embed',
  decoder_norm: 'decoder.decoder_norm',
  decoder_pred: 'decoder.decoder_pred',
};
const REF_LAYER_PREFIXES: Readonly<Record<string, string>> = { blocks: 'vit.encoder.layer', decoder_blocks: 'decoder.decoder_layers' };

/**
 * The Hugging Face `ViTMAEForPreTraining` name(s) of a reference parameter: three (query, key,
 * value, split along the output dimension in that order) for a fused qkv, else one; undefined
 * for a name this layout has no place for.
 */
export function hfNamesFor(ref: string): string[] | undefined {
  if (REF_TO_HF_TOP[ref]) return [REF_TO_HF_TOP[ref]];
  const leaf = /^(.+)\.(weight|bias)$/.exec(ref);
  if (leaf && REF_TO_HF_TOP[leaf[1]]) return [`${REF_TO_HF_TOP[leaf[1]]}.${leaf[2]}`];
  const m = /^(blocks|decoder_blocks)\.(\d+)\.(.+)\.(weight|bias)$/.exec(ref);
  if (!m) return undefined;
  const sub = REF_TO_HF_LAYER.find(([r]) => r === m[3]);
  return sub?.[1].map((hf) => `${REF_LAYER_PREFIXES[m[1]]}.${m[2]}.${hf}.${m[4]}`);
}
