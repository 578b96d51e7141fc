// Pure parts of the live camera: the frames-per-second count and the one message for every way a
// camera can fail to start.

/** The window the frames-per-second readout counts over, in ms. */
export const FPS_WINDOW_MS = 1000;

/** Frames reconstructed per second: those finished within FPS_WINDOW_MS before `now` (times in ms). */
export function framesPerSecond(finishedAt: readonly number[], now: number): number {
  let n = 0;
  for (const t of finishedAt) if (t > now - FPS_WINDOW_MS && t <= now) n++;
  return (n * 1000) / FPS_WINDOW_MS;
}

/** Keeps only the times still inside the window (the list never grows past a second of frames). */
export function pruneTimes(finishedAt: number[], now: number): number[] {
  return finishedAt.filter((t) => t > now - FPS_WINDOW_MS);
}

/** The one line shown when the camera cannot start, by the DOMException name getUserMedia rejects with. */
export function cameraErrorMessage(e: unknown): string {
  const name = (e as { name?: string } | null)?.name ?? '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'The camera was not allowed: permission was denied. Allow the camera for this page in the browser to use it.';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found on this device.';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'The camera could not be started: another application may be using it.';
    case 'NoMediaDevices':
      return 'This browser gives this page no camera (it needs a secure page: https or localhost).';
    default:
      return `The camera could not be started${e instanceof Error && e.message ? ` (${e.message})` : ''}.`;
  }
}
