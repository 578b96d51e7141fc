// The app store's shape. Slices own their state and the actions beside it; they share one
// `StoreContext` (injected dependencies and bookkeeping that never needs to re-render anything).
import type { StoreApi } from 'zustand/vanilla';
import type { BackendName, CheckpointSource, MaskPattern, ModelInfo, ResizeMode, Rgba, Timings } from '../protocol/messages';
import type { ModelClient, Reconstruction } from '../worker-client/types';
import type { LoadFailure, LoadInFlight, LoadProgress, PendingDownload } from './loading';
import type { Persistence } from './persistence';
import type { Settings } from './settings';

/** A picture fitted to the model's input. */
export interface DecodedImage {
  rgba: Rgba;
  /** Size of the source picture after EXIF orientation. */
  sourceWidth: number;
  sourceHeight: number;
}

export type DecodeResult = { ok: true; image: DecodedImage } | { ok: false; message: string };

/** Turns a file into model-sized pixels; never throws: a bad file gives `{ ok: false, message }`. */
export interface ImageDecoder {
  decode(blob: Blob, size: number, mode: ResizeMode): Promise<DecodeResult>;
}

/** A drawn reconstruction together with what produced it. */
export interface ShownResult {
  recon: Reconstruction;
  /** The fitted pixels the request was made from (the masked panel is drawn from these). */
  input: Rgba;
  ratioPct: number;
  seed: number;
  pattern: MaskPattern;
}

export interface SweepItem {
  ratioPct: number;
  result: Reconstruction | null;
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
  /** The picture fitted to the model's input: what the original panel shows. */
  fitted: Rgba | null;
  sourceSize: { width: number; height: number } | null;
  /** 1 = masked, per patch; used when the pattern is 'painted'. */
  paintedMask: Uint8Array | null;
  /** The newest reconstruction received (never a superseded one). */
  result: ShownResult | null;
  /** A request newer than `result` is in flight. */
  pending: boolean;
  /** The last reconstruction request failed with this message. */
  reconError: string | null;
  sweep: SweepState | null;
}

export interface ImagesSlice {
  order: string[];
  entries: Record<string, ImageEntry>;
  /** Rows scrolled out of view are not reconstructed until they come back (absent = visible). */
  visibility: Record<string, boolean>;
  /** Adds pictures; each is decoded, persisted and reconstructed on its own, a bad one gets an error row. */
  addFiles(files: { name: string; blob: Blob }[]): Promise<void>;
  removeImage(key: string): void;
  clearImages(): void;
  setVisible(key: string, visible: boolean): void;
  /** Replaces an image's painted mask (live while painting); `persist` at the end of a stroke. */
  setPaintedMask(key: string, mask: Uint8Array, persist?: boolean): void;
  /** Requests reconstructions for every visible ready image whose drawn result is not current. */
  refresh(): void;
  /** Runs the ratio sweep for one image. */
  runSweep(key: string): void;
  closeSweep(key: string): void;
}

export interface SettingsSlice {
  settings: Settings;
  setRatioPct(pct: number): void;
  setSeed(seed: number): void;
  newSeed(): void;
  setPattern(pattern: MaskPattern): void;
  setMaskStyle(style: Settings['maskStyle']): void;
  setResize(mode: ResizeMode): void;
  setGrid(on: boolean): void;
  setHeatmap(on: boolean): void;
  setNormPixStats(stats: Settings['normPixStats']): void;
  setBackend(backend: BackendName | null): void;
  /** Sets the hub address; an invalid one is ignored. */
  setHfEndpoint(url: string): void;
  /** Merges settings (validated) in one step. */
  applySettings(partial: Partial<Settings>): void;
}

export type ModelPhase = 'idle' | 'starting' | 'loading' | 'ready' | 'restarting' | 'error';

/** The checkpoint a model runs. */
export interface RunningCheckpoint {
  label: string;
  kind: CheckpointSource['kind'];
  notes: string[];
  /** Its URL reference (`bundled`, `random`, `hf:org/name@rev`, `file:name`); null if a link cannot name it. */
  ref: string | null;
}

export interface ModelState {
  /** 'loading' only until the first checkpoint is in; a later load keeps the page 'ready' (see `loading`). */
  phase: ModelPhase;
  backend: BackendName | null;
  backendNotes: string[];
  checkpoint: RunningCheckpoint | null;
  /**
   * The checkpoint the URL names: the one chosen and running (the bundled one while the random
   * fallback stands in for it), or, during the first load, the one asked for.
   */
  ref: string | null;
  /** A checkpoint load in flight (the previous checkpoint keeps answering meanwhile). */
  loading: LoadInFlight | null;
  /** The last load failed (or was cancelled); cleared by the next load. */
  loadError: LoadFailure | null;
  /** The link's hub checkpoint, not downloaded yet: waits for the visitor's yes; cleared by the next load. */
  pendingDownload: PendingDownload | null;
  /** Whether the browser keeps this site's storage (hub downloads) under pressure; null when unknown. */
  storagePersisted: boolean | null;
  /** Why the bundled checkpoint is not the one running (the random fallback), if so. */
  fallbackReason: string | null;
  info: ModelInfo | null;
  progress: LoadProgress | null;
  lastTimings: Timings | null;
  /** Date.now() of the last reconstruction received. */
  lastAt: number | null;
  /** A passing message (the worker restarting, and so on). */
  message: string | null;
  /** Why the model cannot run at all. */
  error: string | null;
  /** Bumped on every checkpoint (re)load: results from an older model are re-requested. */
  generation: number;
}

export interface Notice {
  id: number;
  kind: 'info' | 'warning' | 'error';
  text: string;
}

export interface ModelSlice {
  model: ModelState;
  notices: Notice[];
  /** Restores the saved session and starts the model (default checkpoint, random fallback). */
  boot(): Promise<void>;
  /** Loads a checkpoint; on failure the previous one stays (and `model.loadError` says why). */
  loadCheckpoint(source: CheckpointSource): Promise<boolean>;
  /** Loads the checkpoint a URL reference names (`bundled`, `random`, `hf:org/name@rev`). */
  loadRef(ref: string): Promise<boolean>;
  /** Loads checkpoint files from the visitor's disk (weights, and a config.json if given). */
  loadCheckpointFiles(files: { name: string; blob: Blob }[]): Promise<boolean>;
  /** Cancels the download in flight, if any. */
  cancelLoad(): void;
  /** Loads the failed checkpoint again. */
  retryLoad(): Promise<boolean>;
  dismissLoadError(): void;
  /** Starts the download the link asked for (`model.pendingDownload`). */
  confirmDownload(): Promise<boolean>;
  /** Forgets the download the link asked for; the running checkpoint stays. */
  dismissDownload(): void;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
  /** Unsubscribes from the client (the client itself is the caller's to dispose). */
  teardown(): void;
}

/** Checkpoint B's results for one picture. */
export interface CompareRow {
  /** The newest result (drawn from `result.input`). */
  result: ShownResult | null;
  pending: boolean;
  error: string | null;
  /** The picture fitted to B's input size, when it differs from A's. */
  fitted: Rgba | null;
  /** `size|resize mode` of `fitted`. */
  fitKey: string | null;
}

export type ComparePhase = 'off' | 'starting' | 'loading' | 'ready' | 'restarting';

/** A second checkpoint (B, in its own worker) reconstructing the same pictures under the same mask. */
export interface CompareState {
  /** Whether the page can compare (a second model client can be made). */
  available: boolean;
  phase: ComparePhase;
  backend: BackendName | null;
  checkpoint: RunningCheckpoint | null;
  info: ModelInfo | null;
  /** B's URL reference (`cmp=`); null when not comparing. */
  ref: string | null;
  loading: LoadInFlight | null;
  progress: LoadProgress | null;
  loadError: LoadFailure | null;
  /** The link's hub checkpoint for B, not downloaded yet: waits for the visitor's yes. */
  pendingDownload: PendingDownload | null;
  message: string | null;
  /** Bumped whenever B's checkpoint changes. */
  generation: number;
  rows: Record<string, CompareRow>;
}

export interface CompareSlice {
  compare: CompareState;
  /** Loads B (starting its worker if needed); null stops comparing and ends B's worker. */
  setCompare(source: CheckpointSource | null): Promise<boolean>;
  /** Loads B from a URL reference; null or '' stops comparing. */
  setCompareRef(ref: string | null): Promise<boolean>;
  /** Loads B as the page's link names it: a hub checkpoint not in this browser waits for the visitor's yes. */
  followCompareLink(ref: string): Promise<boolean>;
  /** Starts the download the link asked for B (`compare.pendingDownload`). */
  confirmCompareDownload(): Promise<boolean>;
  /** Forgets the download the link asked for B; B stays as it is. */
  dismissCompareDownload(): void;
  cancelCompareLoad(): void;
  retryCompare(): Promise<boolean>;
  dismissCompareError(): void;
}

export type AppState = ImagesSlice & SettingsSlice & ModelSlice & CompareSlice;
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
  /** The bundled checkpoint and the fallback. */
  defaultSource?: CheckpointSource;
  fallbackSource?: CheckpointSource;
  /** The `ckpt=` and `cmp=` references of the URL (raw; invalid ones are reported and ignored). */
  urlCheckpoints?: { ckpt?: string; compare?: string };
  /** Makes the second model client (its own worker) for checkpoint B; absent: no comparison. */
  createCompareClient?: (() => ModelClient) | null;
  /** The browser's storage manager (navigator.storage), to ask that hub downloads be kept. */
  storage?: StorageLike | null;
  /**
   * Whether a hub repository's weights are already in this browser (Cache Storage HUB_CACHE).
   * A link's hub checkpoint that is not (or when this is absent or fails) waits for the visitor's yes.
   */
  isHubCached?: ((hub: { repo: string; revision: string; endpoint: string }) => Promise<boolean>) | null;
}

/** The part of navigator.storage the store uses. */
export interface StorageLike {
  persisted(): Promise<boolean>;
  persist(): Promise<boolean>;
}

/** Bookkeeping shared by the slices; not state, never rendered. */
export interface StoreContext {
  deps: Required<Omit<AppDeps, 'urlSettings' | 'urlCheckpoints' | 'createCompareClient' | 'storage' | 'isHubCached'>>
    & Pick<AppDeps, 'urlSettings' | 'urlCheckpoints' | 'createCompareClient' | 'storage' | 'isHubCached'>;
  /** Signature of the last reconstruction requested per image (skip identical repeats). */
  requested: Map<string, string>;
  /** Token of the newest request per image (a stale answer is never drawn). */
  tokens: Map<string, number>;
  /** Token of the newest decode per image. */
  decodeTokens: Map<string, number>;
  sweepTokens: Map<string, number>;
  /** The same two for checkpoint B's requests. */
  compareRequested: Map<string, string>;
  compareTokens: Map<string, number>;
  /** Requests B's reconstruction of one picture (set by the compare slice). */
  requestCompare(key: string): void;
  /** Forgets B's bookkeeping of one picture, or of all. */
  forgetCompare(key?: string): void;
  /** After a hub download: asks the browser (once) to keep this site's storage. */
  keepStorage(): void;
  nextToken(): number;
  /** Requests a refresh on the next scheduled tick. */
  scheduleRefresh(): void;
  /** Runs a persistence call, reporting (once) when storage fails. */
  persist(fn: (p: Persistence) => Promise<void>): void;
  /** Input size the images are fitted to. */
  imgSize(): number;
  numPatches(): number | null;
  /** Re-fits every image (new resize mode or model size). */
  refitAll(): void;
}

export type SliceCreator<T> = (set: SetState, get: GetState, ctx: StoreContext) => T;
