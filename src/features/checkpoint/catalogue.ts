// The checkpoints the picker lists. All facts live in this one table, so they are easy to check
// and correct; the picker and the tests read nothing else.
//
// Sources checked: the Hugging Face model cards and config.json of facebook/vit-mae-{base,large,huge}
// (licence tag apache-2.0, `norm_pix_loss: false`), and the facebookresearch/mae README and LICENSE
// (weights under CC BY-NC 4.0; the visualisation checkpoints were trained with plain pixels as
// targets, so they predict un-normalised pixels). Parameter counts are the MAE reference's
// (encoder + decoder, positional embeddings included); sizes are float32 files, approximate.
import type { CheckpointSource } from '../../protocol/messages';
import { DEFAULT_SOURCE, FALLBACK_SOURCE } from '../../store/sessionSlice';
import { formatRef } from '../../store/checkpointRef';
import { DEFAULT_HF_ENDPOINT, hubFilePrefix as hubPrefix } from '../../shared/hub';

/** Where a catalogue checkpoint comes from, which decides how the picker offers it. */
export type CatalogueOrigin =
  /** Shipped with the page; loads offline. */
  | 'bundled'
  /** Random weights (for testing the page, not for looking at). */
  | 'random'
  /** A Hugging Face hub repository: downloaded in the page, cached. */
  | 'hub'
  /** A file the page cannot download (the host forbids it): linked, to be dropped onto the page. */
  | 'external';

export interface CatalogueEntry {
  /** Stable id: the URL reference (`bundled`, `random`, `hf:org/name[@rev]`), or `fair:<file>` for external files. */
  id: string;
  title: string;
  /** One line on what it is. */
  summary: string;
  origin: CatalogueOrigin;
  /** Hub repository, revision and the weight file the hub serves there (origin 'hub'). */
  hub?: { repo: string; revision: string; file: string };
  /** Direct download address (origin 'external'). */
  downloadUrl?: string;
  /** File name to drop onto the page (origin 'external'). */
  fileName?: string;
  /** Download size in bytes (approximate); null when there is nothing to download. */
  sizeBytes: number | null;
  /** Parameters (encoder + decoder); null when it depends on the build. */
  parameters: number | null;
  imgSize: number;
  patchSize: number;
  /** Licence of the weights, as short as it is usually written. */
  licence: string;
  /** Anything to know about the licence. */
  licenceNote?: string;
  /** Page to read about it. */
  sourceUrl: string;
  /** Whether it was trained to predict per-patch normalised pixels (`norm_pix_loss`); null when unknown. */
  normPixLoss: boolean | null;
}

const MAE_REPO = 'https://github.com/facebookresearch/mae';
const VIS_BASE = 'https://dl.fbaipublicfiles.com/mae/visualize/';
const HUB_LICENCE_NOTE = 'as tagged on the hub; the weights are converted from the MAE release, whose own licence is CC BY-NC 4.0';

/** ViT-B/16, ViT-L/16 and ViT-H/14 MAEs with the reference 8×512 decoder; the bundled small one (training/mae.py). */
const PARAMS = { small: 3_401_152, base: 111_907_840, large: 329_541_888, huge: 657_074_508 } as const;

const hubEntry = (o: Omit<CatalogueEntry, 'id' | 'origin' | 'sourceUrl'> & { hub: NonNullable<CatalogueEntry['hub']> }): CatalogueEntry => ({
  ...o,
  id: formatRef({ kind: 'hub', repo: o.hub.repo, revision: o.hub.revision }),
  origin: 'hub',
  sourceUrl: `${DEFAULT_HF_ENDPOINT}/${o.hub.repo}`,
});

const visEntry = (file: string, title: string, summary: string, parameters: number, sizeBytes: number, patchSize: number): CatalogueEntry => ({
  id: `fair:${file}`, title, summary, origin: 'external', downloadUrl: `${VIS_BASE}${file}`, fileName: file, sizeBytes, parameters,
  imgSize: 224, patchSize, licence: 'CC BY-NC 4.0', sourceUrl: `${MAE_REPO}#visualization-demo`, normPixLoss: false,
});

export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  {
    id: 'bundled', title: 'MAE small (bundled)', origin: 'bundled',
    summary: 'A small MAE (ViT 6×192, decoder 2×128, float16) trained for this page; ships with it and works offline.',
    sizeBytes: 6_818_328, parameters: PARAMS.small, imgSize: 224, patchSize: 16,
    licence: 'see model card', licenceNote: 'trained for this project on freely licensed photos; the model card lists them and their licences (the weights themselves carry no separate licence statement yet)',
    sourceUrl: './checkpoints/mae-small/README.md', normPixLoss: false,
  },
  hubEntry({
    title: 'ViT-MAE Base', summary: 'The MAE paper’s ViT-Base/16, on the Hugging Face hub.',
    hub: { repo: 'facebook/vit-mae-base', revision: 'main', file: 'model.safetensors' },
    sizeBytes: 448_000_000, parameters: PARAMS.base, imgSize: 224, patchSize: 16,
    licence: 'Apache-2.0', licenceNote: HUB_LICENCE_NOTE, normPixLoss: false,
  }),
  hubEntry({
    title: 'ViT-MAE Large', summary: 'ViT-Large/16; the safetensors conversion waits on the hub’s refs/pr/1 (main has pytorch_model.bin).',
    hub: { repo: 'facebook/vit-mae-large', revision: 'refs/pr/1', file: 'model.safetensors' },
    sizeBytes: 1_320_000_000, parameters: PARAMS.large, imgSize: 224, patchSize: 16,
    licence: 'Apache-2.0', licenceNote: HUB_LICENCE_NOTE, normPixLoss: false,
  }),
  hubEntry({
    title: 'ViT-MAE Huge', summary: 'ViT-Huge/14, the largest MAE of the paper (PyTorch weights).',
    hub: { repo: 'facebook/vit-mae-huge', revision: 'main', file: 'pytorch_model.bin' },
    sizeBytes: 2_630_000_000, parameters: PARAMS.huge, imgSize: 224, patchSize: 14,
    licence: 'Apache-2.0', licenceNote: HUB_LICENCE_NOTE, normPixLoss: false,
  }),
  visEntry('mae_visualize_vit_large.pth', 'MAE visualisation, ViT-Large', 'The reference demo’s checkpoint: ViT-L/16 trained with plain pixels as targets.', PARAMS.large, 1_320_000_000, 16),
  visEntry('mae_visualize_vit_large_ganloss.pth', 'MAE visualisation, ViT-Large + GAN loss', 'As above with an extra GAN loss: sharper reconstructions.', PARAMS.large, 1_320_000_000, 16),
  visEntry('mae_visualize_vit_base.pth', 'MAE visualisation, ViT-Base', 'ViT-B/16 trained with plain pixels as targets, for visualisation.', PARAMS.base, 448_000_000, 16),
  visEntry('mae_visualize_vit_huge.pth', 'MAE visualisation, ViT-Huge', 'ViT-H/14 trained with plain pixels as targets, for visualisation.', PARAMS.huge, 2_630_000_000, 14),
  {
    id: 'random', title: 'Random weights', origin: 'random',
    summary: 'An untrained tiny MAE: for testing the page; its reconstructions mean nothing.',
    sizeBytes: null, parameters: null, imgSize: 224, patchSize: 16, licence: '—',
    sourceUrl: `${MAE_REPO}/blob/main/models_mae.py`, normPixLoss: false,
  },
] satisfies CatalogueEntry[]);

/** The catalogue entry with a reference (or id), if any. */
export const catalogueEntry = (id: string | null | undefined): CatalogueEntry | undefined =>
  id ? CATALOGUE.find((e) => e.id === id) : undefined;

/** Whether the page can load it by itself (external files must be dropped). */
export const loadable = (e: CatalogueEntry): boolean => e.origin !== 'external';

/** What the store loads for an entry (hub entries at `endpoint`); null for external files. */
export function sourceForEntry(e: CatalogueEntry, endpoint: string): CheckpointSource | null {
  switch (e.origin) {
    case 'bundled':
      return DEFAULT_SOURCE;
    case 'random':
      return FALLBACK_SOURCE;
    case 'hub':
      return { kind: 'hub', repo: e.hub!.repo, revision: e.hub!.revision, endpoint, label: `${e.title} (${e.hub!.repo})` };
    case 'external':
      return null;
  }
}

/** Cache keys (file URLs) a hub entry's download would have at `endpoint`: the shared hub layout. */
export const hubFilePrefix = (repo: string, revision: string, endpoint: string): string =>
  hubPrefix(endpoint, { repo, revision });
