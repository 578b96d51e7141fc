// The live camera: getUserMedia into a <video>, each frame fitted like a picture (video -> canvas ->
// RGBA at slot A's input) and reconstructed through the store's camera lane. At most
// MAX_FRAMES_IN_FLIGHT frames are out at once (one in the worker, one waiting), so frames the model
// cannot keep up with are never captured, and a waiting one is replaced by a newer one (the
// client's lanes are latest-wins): nothing piles up.
import { useCallback, useEffect, useRef, useState } from 'react';
import { fitSize, inputSide } from '../../shared/inputSize';
import { useAppStore } from '../../store/react';
import type { ShownResult } from '../../store/types';
import type { Rgba } from '../../protocol/messages';
import { sourceRect } from '../image-drop/fit';
import { cameraErrorMessage, framesPerSecond, pruneTimes } from './camera';

/** Frames out to the worker at once: one computing, one waiting behind it. */
const MAX_FRAMES_IN_FLIGHT = 2;
/** How often the frames-per-second readout is refreshed, in ms. */
const FPS_REFRESH_MS = 250;
/** The camera resolution asked for, in px (a hint: the camera gives what it has). */
const IDEAL_WIDTH = 640;
const IDEAL_HEIGHT = 480;
/** HTMLMediaElement.HAVE_CURRENT_DATA: a frame can be drawn. */
const HAVE_CURRENT_DATA = 2;

export type CameraPhase = 'off' | 'starting' | 'live' | 'paused';

export interface CameraState {
  phase: CameraPhase;
  /** Why the camera could not start (one line), or null. */
  error: string | null;
  /** Frames reconstructed over the last second. */
  fps: number;
  /** Frames reconstructed since the camera started. */
  frames: number;
  /** The newest reconstructed frame. */
  result: ShownResult | null;
  start(): Promise<void>;
  stop(): void;
  togglePause(): void;
  /** The current frame (full camera resolution) becomes an ordinary picture row. */
  snapshot(): Promise<void>;
}

function canvas2d(width: number, height: number): CanvasRenderingContext2D {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas context is available here');
  return ctx;
}

/** The camera shown in `videoRef`'s element (rendered by the caller, always mounted). */
export function useCamera(videoRef: React.RefObject<HTMLVideoElement | null>): CameraState {
  const store = useAppStore();
  const stream = useRef<MediaStream | null>(null);
  const phaseRef = useRef<CameraPhase>('off');
  /** Bumped by every start and stop: a getUserMedia that resolves after a newer one is dropped. */
  const startToken = useRef(0);
  const inFlight = useRef(0);
  const finished = useRef<number[]>([]);
  const [phase, setPhaseState] = useState<CameraPhase>('off');
  const [error, setError] = useState<string | null>(null);
  const [fps, setFps] = useState(0);
  const [frames, setFrames] = useState(0);
  const [result, setResult] = useState<ShownResult | null>(null);

  const setPhase = (p: CameraPhase) => {
    phaseRef.current = p;
    setPhaseState(p);
  };

  /** The video's current frame fitted to slot A's input under the settings; null before a frame or a model. */
  const capture = useCallback((): Rgba | null => {
    const video = videoRef.current;
    const s = store.getState();
    const info = s.slots.A.info;
    if (!video || !info || video.readyState < HAVE_CURRENT_DATA || !video.videoWidth) return null;
    const src = { width: video.videoWidth, height: video.videoHeight };
    const { resize, inputScale } = s.settings;
    const out = fitSize(resize, inputSide(inputScale, info.imgSize), info.patchSize, src);
    const r = sourceRect(src.width, src.height, resize);
    const ctx = canvas2d(out.width, out.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(video, r.sx, r.sy, r.sw, r.sh, 0, 0, out.width, out.height);
    return { width: out.width, height: out.height, data: ctx.getImageData(0, 0, out.width, out.height).data };
  }, [store, videoRef]);

  // While live: on every animation frame, a new frame goes out unless MAX_FRAMES_IN_FLIGHT are out.
  useEffect(() => {
    if (phase !== 'live') return;
    let id = 0;
    const loop = () => {
      if (inFlight.current < MAX_FRAMES_IN_FLIGHT) {
        const frame = capture();
        if (frame) {
          inFlight.current++;
          store.getState().reconstructFrame(frame).then((r) => {
            if (!r || phaseRef.current === 'off') return;
            const now = performance.now();
            finished.current = [...pruneTimes(finished.current, now), now];
            setResult(r);
            setFrames((n) => n + 1);
          }, (e: unknown) => {
            if (phaseRef.current !== 'off') setError(`A camera frame could not be reconstructed: ${e instanceof Error ? e.message : String(e)}`);
          }).finally(() => {
            inFlight.current--;
          });
        }
      }
      id = requestAnimationFrame(loop);
    };
    id = requestAnimationFrame(loop);
    return () => cancelAnimationFrame(id);
  }, [phase, capture, store]);

  const stop = useCallback(() => {
    startToken.current++;
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
    if (phaseRef.current !== 'off') store.getState().stopFrames();
    setPhase('off');
    finished.current = [];
    setFps(0);
    setResult(null);
  }, [store, videoRef]);

  const start = useCallback(async () => {
    if (phaseRef.current !== 'off') return;
    const token = ++startToken.current;
    setError(null);
    setFrames(0);
    setPhase('starting');
    try {
      const media = navigator.mediaDevices;
      if (!media?.getUserMedia) throw Object.assign(new Error('no mediaDevices'), { name: 'NoMediaDevices' });
      const s = await media.getUserMedia({ video: { width: { ideal: IDEAL_WIDTH }, height: { ideal: IDEAL_HEIGHT } }, audio: false });
      if (startToken.current !== token) {
        s.getTracks().forEach((t) => t.stop());
        return;
      }
      stream.current = s;
      const video = videoRef.current;
      if (video) {
        video.srcObject = s;
        await video.play();
      }
      setPhase('live');
    } catch (e) {
      if (startToken.current !== token) return;
      // Denied or no camera: one message, and nothing else changes.
      stream.current?.getTracks().forEach((t) => t.stop());
      stream.current = null;
      setPhase('off');
      setError(cameraErrorMessage(e));
    }
  }, [videoRef]);

  const togglePause = useCallback(() => {
    const video = videoRef.current;
    if (phaseRef.current === 'live') {
      setPhase('paused');
      video?.pause();
    } else if (phaseRef.current === 'paused') {
      setPhase('live');
      void video?.play();
    }
  }, [videoRef]);

  const snapshot = useCallback(async () => {
    const video = videoRef.current;
    if (!video || phaseRef.current === 'off' || !video.videoWidth) return;
    const ctx = canvas2d(video.videoWidth, video.videoHeight);
    ctx.drawImage(video, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => ctx.canvas.toBlob(resolve, 'image/png'));
    if (!blob) {
      store.getState().notify('error', 'The camera frame could not be saved as a picture.');
      return;
    }
    const stamp = new Date().toISOString().replace(/\..*$/, '').replace(/[T:]/g, '-');
    await store.getState().addFiles([{ name: `camera-${stamp}.png`, blob }]);
  }, [store, videoRef]);

  // The readout decays to 0 while paused: it counts the last second only.
  useEffect(() => {
    if (phase === 'off') return;
    const id = setInterval(() => setFps(framesPerSecond(finished.current, performance.now())), FPS_REFRESH_MS);
    return () => clearInterval(id);
  }, [phase]);

  useEffect(() => stop, [stop]);

  return { phase, error, fps, frames, result, start, stop, togglePause, snapshot };
}
