// The app store's shape. Slices own their state and the actions beside it; they share one
// `StoreContext` (injected dependencies and bookkeeping that never needs to re-render anything).
import type { StoreApi } from 'zustand/vanilla';
import type { BackendName, CheckpointSource, MaskPattern, ModelInfo, ResizeMode, Rgba, Timings } from '../protocol/messages';
import type { ModelClient, Reconstruction } from '../worker-client/types';
import type { FinetuneSlice } from './finetuneSlice';
import type { LoadFailure, LoadInFlight, LoadProgress, PendingDownload } from './loading';
import type { Persistence } from './persistence';
import type { SavedCheckpoints } from './savedCheckpoints';
import type { Settings } from './settings';
import type { ViewsSlice } from './viewsSlice';

/** A picture fitted to the model's input. */
export interface DecodedImage {
  rgba: Rgba;
  /** Size of the source picture after EXIF orientation. */
  sourceWidth: number;
  sourceHeight: number;
}

export type DecodeResult = { ok: true; image: DecodedImage } | { ok: false; message: string };

/**
 * Turns a file into model-sized pixels (`size` px square, or for 'whole' the photo's aspect with a
 * long side of `size` px, sides whole multiples of `patch` px (DEFAULT_PATCH_SIZE when left out): fitSize in src/shared/inputSize.ts);
 * never throws: a bad file gives `{ ok: false, message }`.
 */
export interface ImageDecoder {
  decode(blob: Blob, size: number, mode: ResizeMode, patch?: number): Promise<DecodeResult>;
}

/** The model slots: A is the page's checkpoint, B the one it is compared with. */
export type SlotId = 'A' | 'B';
export const SLOT_IDS: readonly SlotId[] = ['A', 'B'];

/** A drawn reconstruction together with what produced it. */
export interface ShownResult {
  recon: Reconstruction;
  /** The fitted pixels the request was made from. */
  input: Rgba;
  /** The mask it was made under (1 = masked, patch order). */
  mask: Uint8Array;
  ratioPct: number;
  seed: number;
  pattern: MaskPattern;
}

export interface SweepItem {
  ratioPct: number;
  result: ShownResult | null;
  error: string | null;
}

export interface SweepState {
  seed: number;
  pattern: MaskPattern;
  /** The input the sweep ran on. */
  input: Rgba;
  items: SweepItem[];
}

export type ImageStatus = 'decoding' | 'ready' | 'error';

export interface ImageEntry {
  key: string;
  name: string;
  blob: Blob;
  addedAt: number;
  status: ImageStatus;
  /** Why the file cannot be used (status 'error'). */
  error: string | null;
  /** The picture fitted to slot A's input: what the original panel shows. */
  fitted: Rgba | null;
  sourceSize: { width: number; height: number } | null;
  /** 1 = masked, per patch of slot A's grid; used when the pattern is 'painted'. */
  paintedMask: Uint8Array | null;
  sweep: SweepState | null;
  /** The bundled sample's file name, when the picture is one (a link can name it). */
  sample: string | null;
}

/** Pictures just removed, kept until the next removal so the visitor can undo. */
export interface RemovedImages {
  entries: ImageEntry[];
  /** Where each was in the order. */
  positions: number[];
}

export interface ImagesSlice {
  order: string[];
  entries: Record<string, ImageEntry>;
  /** Rows scrolled out of view are not reconstructed until they come back (absent = visible). */
  visibility: Record<string, boolean>;
  /** The pictures removed last, until undone or replaced by the next removal. */
  removed: RemovedImages | null;
  /** Adds pictures; each is decoded, persisted and reconstructed on its own, a bad one gets an error row. */
  addFiles(files: { name: string; blob: Blob }[], o?: { sample?: string; paintedMask?: Uint8Array | null }): Promise<void>;
  /** Adds a bundled sample by file name, unless it is already on the page. */
  addSample(file: string, paintedMask?: Uint8Array | null): Promise<void>;
  removeImage(key: string): void;
  clearImages(): void;
  /** Puts the pictures removed last back where they were. */
  undoRemove(): void;
  dismissRemoved(): void;
  setVisible(key: string, visible: boolean): void;
  /** Replaces an image's painted mask (live while painting); `persist` at the end of a stroke. */
  setPaintedMask(key: string, mask: Uint8Array, persist?: boolean): void;
  /** Requests reconstructions for every visible ready image, in every running slot, whose drawn result is not current. */
  refresh(): void;
  /** Runs the ratio sweep for one image (slot A). */
  runSweep(key: string): void;
  closeSweep(key: string): void;
  /**
   * Reconstructs one camera frame (RGBA fitted to slot A's input, see fitSize) under the settings'
   * seeded mask on the frame's grid, on the camera's own worker lane (latest wins: a frame replaced
   * while waiting resolves to null). Null too when no model runs.
   */
  reconstructFrame(frame: Rgba): Promise<ShownResult | null>;
  /** The camera stopped: its last frame leaves the worker. */
  stopFrames(): void;
}

export interface SettingsSlice {
  settings: Settings;
  setRatioPct(pct: number): void;
  setSeed(seed: number): void;
  newSeed(): void;
  setPattern(pattern: MaskPattern): void;
  setMaskStyle(style: Settings['maskStyle']): void;
  setResize(mode: ResizeMode): void;
  setInputScale(scale: Settings['inputScale']): void;
  setGrid(on: boolean): void;
  setHeatmap(on: boolean): void;
  /** Turns the slider lookahead on or off. */
  setLookahead(on: boolean): void;
  setNormPixStats(stats: Settings['normPixStats']): void;
  setBackend(backend: BackendName | null): void;
  /** Sets the hub address; an invalid one is ignored. */
  setHfEndpoint(url: string): void;
  /** Merges settings (validated) in one step. */
  applySettings(partial: Partial<Settings>): void;
  /** Back to the default mask and view settings (the backend override and hub address stay). */
  resetSettings(): void;
}

/** 'off': a slot with no worker (B until the visitor compares). 'loading' only until its first checkpoint is in. */
export type SlotPhase = 'off' | 'idle' | 'starting' | 'loading' | 'ready' | 'restarting' | 'error';

/** The checkpoint a slot runs. */
export interface RunningCheckpoint {
  label: string;
  kind: CheckpointSource['kind'];
  notes: string[];
  /** Its URL reference (`bundled`, `random`, `hf:org/name@rev`, `file:name`); null if a link cannot name it. */
  ref: string | null;
}

/** One slot's take on one picture. */
export interface SlotRow {
  /** The newest result received. */
  result: ShownResult | null;
  /** A request newer than `result` is out. */
  pending: boolean;
  /** The last request failed with this message. */
  error: string | null;
  /** The picture fitted to this slot's input size, when it differs from the entry's. */
  fitted: Rgba | null;
  /** `size|resize mode` of `fitted`. */
  fitKey: string | null;
}

/** A model slot's state: its worker, its checkpoint, its loads and its results per picture. */
export interface SlotState {
  id: SlotId;
  /** Whether the page can run this slot (a worker client can be made for it). */
  available: boolean;
  phase: SlotPhase;
  backend: BackendName | null;
  backendNotes: string[];
  checkpoint: RunningCheckpoint | null;
  /**
   * The checkpoint the URL names: the one chosen and running (the bundled one while the random
   * fallback stands in for it), or, during the first load, the one asked for; null when off.
   */
  ref: string | null;
  /** A checkpoint load in flight (the previous checkpoint keeps answering meanwhile). */
  loading: LoadInFlight | null;
  /** The last load failed (or was cancelled); cleared by the next load. */
  loadError: LoadFailure | null;
  /** The link's hub checkpoint, not downloaded yet: waits for the visitor's yes; cleared by the next load. */
  pendingDownload: PendingDownload | null;
  /** Why the bundled checkpoint is not the one running (the random fallback), if so. */
  fallbackReason: string | null;
  info: ModelInfo | null;
  progress: LoadProgress | null;
  lastTimings: Timings | null;
  /** Date.now() of the last reconstruction received. */
  lastAt: number | null;
  /** A passing message (the worker restarting, and so on). */
  message: string | null;
  /** Why the slot cannot run at all. */
  error: string | null;
  /** Bumped on every checkpoint (re)load: results from an older model are re-requested. */
  generation: number;
  rows: Record<string, SlotRow>;
}

/** What a slot does. */
export interface SlotActions {
  /** Loads a checkpoint (starting the slot's worker if needed); on failure the previous one stays (`loadError` says why). */
  load(source: CheckpointSource): Promise<boolean>;
  /** Loads the checkpoint a URL reference names (`bundled`, `random`, `hf:org/name@rev`). */
  loadRef(ref: string): Promise<boolean>;
  /** Loads as a link names it: a hub checkpoint not in this browser waits for the visitor's yes. */
  followLink(ref: string): Promise<boolean>;
  /** Loads checkpoint files from the visitor's disk (weights, and a config.json if given). */
  loadFiles(files: { name: string; blob: Blob }[]): Promise<boolean>;
  /** Cancels the download in flight, if any. */
  cancelLoad(): void;
  /** Loads the failed checkpoint again. */
  retry(): Promise<boolean>;
  dismissError(): void;
  /** Starts the download a link asked for (`pendingDownload`). */
  confirmDownload(): Promise<boolean>;
  /** Forgets the download a link asked for; the running checkpoint stays. */
  dismissDownload(): void;
  /** Ends the slot's worker and forgets its results (not for A). */
  close(): void;
}

export interface Notice {
  id: number;
  kind: 'info' | 'warning' | 'error';
  text: string;
}

export interface SessionSlice {
  slots: Record<SlotId, SlotState>;
  slotApi: Record<SlotId, SlotActions>;
  /** Whether the browser keeps this site's storage (hub downloads) under pressure; null when unknown. */
  storagePersisted: boolean | null;
  notices: Notice[];
  /** Restores the saved session and starts slot A (the link's checkpoint, else the bundled one, else random weights), then B if the link names one. */
  boot(): Promise<void>;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
  /** Unsubscribes from the clients and ends every slot but A (A's client is the caller's to dispose). */
  teardown(): void;
}

export type AppState = ImagesSlice & SettingsSlice & SessionSlice & FinetuneSlice & ViewsSlice;
export type AppStore = StoreApi<AppState>;
export type SetState = AppStore['setState'];
export type GetState = AppStore['getState'];

/** What the store needs from outside; tests pass fakes. */
export interface AppDeps {
  client: ModelClient;
  decoder: ImageDecoder;
  persistence: Persistence;
  /** Settings from the URL; they win over the saved ones. */
  urlSettings?: Partial<Settings>;
  /** Runs `fn` soon, coalescing repeated calls (default: next animation frame). */
  schedule?: (fn: () => void) => void;
  now?: () => number;
  random?: () => number;
  /** Delay before settings are written to storage (ms). */
  settingsSaveDelayMs?: number;
  /** How long the mask must rest before an open view asks for the new mask's inspection (ms). */
  viewIdleMs?: number;
  /** The bundled checkpoint and the fallback. */
  defaultSource?: CheckpointSource;
  fallbackSource?: CheckpointSource;
  /** The `ckpt=` and `cmp=` references of the URL (raw; invalid ones are reported and ignored). */
  urlCheckpoints?: { ckpt?: string; compare?: string };
  /** Fetches a bundled sample by file name; absent: samples cannot be added by name. */
  fetchSample?: ((file: string) => Promise<{ name: string; blob: Blob }>) | null;
  /**
   * The pictures a link names (`img=` samples, `paint=` their painted masks, encoded); null when the
   * link names none, and then a first visit opens with one sample.
   */
  urlImages?: { samples: string[]; paints: (string | null)[] } | null;
  /** The sample a first visit opens with. */
  firstSample?: string | null;
  /** Makes the client (its own worker) of every slot but A; absent: no comparison. */
  createCompareClient?: (() => ModelClient) | null;
  /** The browser's storage manager (navigator.storage), to ask that hub downloads be kept. */
  storage?: StorageLike | null;
  /**
   * Whether a hub repository's weights are already in this browser (Cache Storage HUB_CACHE).
   * A link's hub checkpoint that is not (or when this is absent or fails) waits for the visitor's yes.
   */
  isHubCached?: ((hub: { repo: string; revision: string; endpoint: string }) => Promise<boolean>) | null;
  /** Where fine-tuned checkpoints are kept (IndexedDB); absent: they are only downloaded. */
  savedCheckpoints?: SavedCheckpoints | null;
}

/** The part of navigator.storage the store uses. */
export interface StorageLike {
  persisted(): Promise<boolean>;
  persist(): Promise<boolean>;
}

/** Bookkeeping shared by the slices; not state, never rendered. */
export interface StoreContext {
  deps: Required<Omit<AppDeps, 'urlSettings' | 'urlCheckpoints' | 'createCompareClient' | 'storage' | 'isHubCached' | 'fetchSample' | 'urlImages' | 'firstSample' | 'savedCheckpoints'>>
    & Pick<AppDeps, 'urlSettings' | 'urlCheckpoints' | 'createCompareClient' | 'storage' | 'isHubCached' | 'fetchSample' | 'urlImages' | 'firstSample' | 'savedCheckpoints'>;
  /** Each slot's request path, set by the slot. */
  slots: Record<SlotId, SlotHooks>;
  /** Token of the newest decode per image. */
  decodeTokens: Map<string, number>;
  sweepTokens: Map<string, number>;
  /** After a hub download: asks the browser (once) to keep this site's storage. */
  keepStorage(): void;
  nextToken(): number;
  /** Requests a refresh on the next scheduled tick. */
  scheduleRefresh(): void;
  /** Runs a persistence call, reporting (once) when storage fails. */
  persist(fn: (p: Persistence) => Promise<void>): void;
  /** What images are fitted to: slot A's input side under the settings (px) and its patch size (px). */
  fitTarget(): { side: number; patch: number };
  /** Re-fits every image (new resize mode or model size). */
  refitAll(): void;
}

/** What the store asks of a slot beyond its actions. */
export interface SlotHooks {
  /** Requests this slot's reconstruction of one picture under the current settings, unless already asked. */
  request(key: string): void;
  /** Forgets one picture (or all): its results, its pixels in the worker. */
  forget(key?: string): void;
  /** The slot's worker client, when it has one. */
  client(): ModelClient | null;
}

export type SliceCreator<T> = (set: SetState, get: GetState, ctx: StoreContext) => T;
