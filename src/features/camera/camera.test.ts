import { describe, expect, it } from 'vitest';
import { cameraErrorMessage, FPS_WINDOW_MS, framesPerSecond, pruneTimes } from './camera';
import { sourceRect } from '../image-drop/fit';

describe('frames per second', () => {
  it('counts the frames finished in the last second, none after a pause', () => {
    const times = [100, 400, 700, 1000, 1050];
    expect(framesPerSecond(times, 1050)).toBe(5);
    expect(framesPerSecond(times, 1100)).toBe(4); // 100 is exactly a window old: out
    expect(framesPerSecond(times, 1050 + FPS_WINDOW_MS)).toBe(0);
    expect(framesPerSecond([], 5)).toBe(0);
    expect(pruneTimes(times, 1500)).toEqual([700, 1000, 1050]);
  });
});

describe('camera messages', () => {
  const err = (name: string) => Object.assign(new Error('x'), { name });
  it('says denied, missing or busy in one line', () => {
    expect(cameraErrorMessage(err('NotAllowedError'))).toMatch(/permission was denied/);
    expect(cameraErrorMessage(err('NotFoundError'))).toBe('No camera was found on this device.');
    expect(cameraErrorMessage(err('NotReadableError'))).toMatch(/another application/);
    expect(cameraErrorMessage(err('NoMediaDevices'))).toMatch(/secure page/);
    expect(cameraErrorMessage(new Error('strange'))).toBe('The camera could not be started (strange).');
    for (const m of ['NotAllowedError', 'NotFoundError', 'Foo'].map((n) => cameraErrorMessage(err(n)))) expect(m).not.toMatch(/\n/);
  });
});

describe('a frame\'s source rectangle (the fit of pictures)', () => {
  it('crops the centred square, or takes the whole frame', () => {
    expect(sourceRect(640, 480, 'crop')).toEqual({ sx: 80, sy: 0, sw: 480, sh: 480 });
    expect(sourceRect(480, 640, 'crop')).toEqual({ sx: 0, sy: 80, sw: 480, sh: 480 });
    expect(sourceRect(640, 480, 'squash')).toEqual({ sx: 0, sy: 0, sw: 640, sh: 480 });
    expect(sourceRect(640, 480, 'whole')).toEqual({ sx: 0, sy: 0, sw: 640, sh: 480 });
  });
});
