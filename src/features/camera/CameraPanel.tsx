// The live camera: a button, then the camera's frames reconstructed as they come (masked frame,
// reconstruction, reconstruction + visible), frames per second, pause and snapshot.
import { useMemo, useRef } from 'react';
import { gridOf } from '../../shared/inputSize';
import { maskedPanel } from '../../shared/panels';
import { useApp } from '../../store/react';
import { PixelCanvas } from '../panels/PixelCanvas';
import { useCamera } from './useCamera';

export function CameraPanel() {
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const cam = useCamera(videoRef);
  const ready = useApp((s) => s.slots.A.phase === 'ready' || s.slots.A.phase === 'restarting');
  const maskStyle = useApp((s) => s.settings.maskStyle);
  const on = cam.phase !== 'off';
  const r = cam.result;
  const grid = r ? gridOf(r.input.width, r.input.height, r.mask.length) : null;
  const masked = useMemo(() => {
    const g = r ? gridOf(r.input.width, r.input.height, r.mask.length) : null;
    if (!r || !g) return null;
    const { width, height } = r.input;
    return { width, height, data: maskedPanel(r.input.data, width, width / g.cols, r.mask, maskStyle, height) };
  }, [r, maskStyle]);
  const size = r ? { width: r.input.width, height: r.input.height } : 1;
  const aspect = r && r.input.width !== r.input.height ? { aspectRatio: `${r.input.width} / ${r.input.height}` } : undefined;
  return (
    <section className="camera" aria-label="Live camera" data-testid="camera" data-phase={cam.phase}>
      <div className="camera-bar">
        <button type="button" className="button" data-testid="camera-toggle" aria-pressed={on} disabled={!on && !ready}
          onClick={() => (on ? cam.stop() : void cam.start())}
          title={on ? 'Stop the camera' : 'Reconstruct the camera\'s frames live (nothing leaves this browser)'}>
          {on ? 'Stop camera' : 'Camera'}
        </button>
        {on && (
          <>
            <button type="button" className="button" data-testid="camera-pause" disabled={cam.phase === 'starting'} onClick={cam.togglePause}>
              {cam.phase === 'paused' ? 'Resume' : 'Pause'}
            </button>
            <button type="button" className="button" data-testid="camera-snapshot" disabled={cam.phase === 'starting'}
              onClick={() => void cam.snapshot()} title="Add the current frame as a picture row">Snapshot</button>
            <span className="camera-fps muted" data-testid="camera-fps" data-fps={cam.fps} data-frames={cam.frames} role="status">
              {cam.fps} frames/s
            </span>
          </>
        )}
      </div>
      {cam.error && <p className="row-warning" role="alert" data-testid="camera-error">{cam.error}</p>}
      <div className="camera-panels" hidden={!on}>
        <figure className="panel">
          <div className="panel-frame" style={aspect}>
            <video ref={videoRef} className="panel-canvas camera-video" data-testid="camera-video" muted playsInline aria-label="Camera" />
          </div>
          <figcaption>Camera</figcaption>
        </figure>
        <figure className="panel" data-testid="camera-masked" data-grid-rows={grid?.rows ?? ''} data-grid-cols={grid?.cols ?? ''}>
          <div className="panel-frame" style={aspect}>
            <PixelCanvas pixels={masked} fallbackSize={size} className="panel-canvas" role="img" aria-label="Camera frame, masked" />
          </div>
          <figcaption>Masked</figcaption>
        </figure>
        <figure className="panel">
          <div className="panel-frame" style={aspect}>
            <PixelCanvas pixels={r?.recon.reconstruction ?? null} fallbackSize={size} className="panel-canvas" data-testid="camera-reconstruction"
              role="img" aria-label="Reconstruction of the camera frame" />
          </div>
          <figcaption>Reconstruction</figcaption>
        </figure>
        <figure className="panel">
          <div className="panel-frame" style={aspect}>
            <PixelCanvas pixels={r?.recon.pasted ?? null} fallbackSize={size} className="panel-canvas" role="img"
              aria-label="Visible patches with the reconstruction pasted into the hidden ones" />
          </div>
          <figcaption>Reconstruction + visible</figcaption>
        </figure>
      </div>
    </section>
  );
}
