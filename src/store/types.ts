// The app store's shape. Slices own their state and the actions beside it; they share one
// `StoreContext` (injected dependencies and bookkeeping that never needs to re-render anything).
import type { StoreApi } from 'zustand/vanilla';
import type { BackendName, CheckpointSource, MaskPattern, ModelInfo, ResizeMode, Rgba, Timings } from '../protocol/messages';
import type { ModelClient, Reconstruction } from '../worker-client/types';
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
  /** Merges settings (validated) in one step. */
  applySettings(partial: Partial<Settings>): void;
}

export type ModelPhase = 'idle' | 'starting' | 'loading' | 'ready' | 'restarting' | 'error';

export interface ModelState {
  phase: ModelPhase;
  backend: BackendName | null;
  backendNotes: string[];
  checkpoint: { label: string; kind: CheckpointSource['kind']; notes: string[] } | null;
  /** Why the bundled checkpoint is not the one running (the random fallback), if so. */
  fallbackReason: string | null;
  info: ModelInfo | null;
  progress: { loaded: number; total: number | null; stage: string } | null;
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
  /** Loads a checkpoint; on failure the previous one stays. */
  loadCheckpoint(source: CheckpointSource): Promise<boolean>;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
  /** Unsubscribes from the client (the client itself is the caller's to dispose). */
  teardown(): void;
}

export type AppState = ImagesSlice & SettingsSlice & ModelSlice;
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
}

/** Bookkeeping shared by the slices; not state, never rendered. */
export interface StoreContext {
  deps: Required<Omit<AppDeps, 'urlSettings'>> & Pick<AppDeps, 'urlSettings'>;
  /** Signature of the last reconstruction requested per image (skip identical repeats). */
  requested: Map<string, string>;
  /** Token of the newest request per image (a stale answer is never drawn). */
  tokens: Map<string, number>;
  /** Token of the newest decode per image. */
  decodeTokens: Map<string, number>;
  sweepTokens: Map<string, number>;
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
