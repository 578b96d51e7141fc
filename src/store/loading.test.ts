import { describe, expect, it } from 'vitest';
import type { LoadErrorCode } from '../protocol/messages';
import { LoadError } from '../worker-client/errors';
import {
  classifyFailure, classifyLoadError, etaSeconds, failureKindOf, meterUpdate, RATE_MIN_SPAN_MS, RATE_WINDOW_MS, retryable, sentence,
  type FailureKind, type RateMeter,
} from './loading';

const MB = 1_000_000;

/** Feeds samples (ms, bytes) of one stage; returns the last progress. */
function feed(samples: [number, number][], total: number | null = 100 * MB, stage = 'model.safetensors') {
  let meter: RateMeter | null = null;
  let last;
  for (const [t, loaded] of samples) {
    const r = meterUpdate(meter, { loaded, total, stage }, t);
    meter = r.meter;
    last = r.progress;
  }
  return { meter: meter!, progress: last! };
}

describe('download rate and time left', () => {
  it('measures a steady download', () => {
    // 2 MB every 200 ms = 10 MB/s
    const samples: [number, number][] = Array.from({ length: 11 }, (_, i) => [i * 200, i * 2 * MB]);
    const { progress } = feed(samples);
    expect(progress.rate).toBeCloseTo(10 * MB, -3);
    expect(progress.etaS).toBeCloseTo((100 - 20) / 10, 5);
    expect(progress).toMatchObject({ loaded: 20 * MB, total: 100 * MB, stage: 'model.safetensors' });
  });

  it('shows no rate before enough time has passed', () => {
    const { progress } = feed([[0, 0], [RATE_MIN_SPAN_MS / 2, MB]]);
    expect(progress.rate).toBeNull();
    expect(progress.etaS).toBeNull();
  });

  it('follows the recent rate, not the average since the start', () => {
    const fast: [number, number][] = Array.from({ length: 21 }, (_, i) => [i * 100, i * MB]); // 10 MB/s for 2 s
    const slow: [number, number][] = Array.from({ length: 60 }, (_, i) => [2000 + (i + 1) * 100, 20 * MB + (i + 1) * 0.1 * MB]); // then 1 MB/s for 6 s
    const { progress, meter } = feed([...fast, ...slow]);
    expect(progress.rate! / MB).toBeGreaterThan(0.95);
    expect(progress.rate! / MB).toBeLessThan(1.3);
    expect(meter.samples.at(-1)!.t - meter.samples[1].t).toBeLessThan(RATE_WINDOW_MS);
  });

  it('starts afresh on a new file or when bytes go backwards', () => {
    const a = feed([[0, 0], [1000, 10 * MB]]);
    const b = meterUpdate(a.meter, { loaded: 0, total: 5 * MB, stage: 'config.json' }, 1100);
    expect(b.meter.samples).toHaveLength(1);
    expect(b.progress.rate).toBeNull();
    const c = meterUpdate(a.meter, { loaded: MB, total: 100 * MB, stage: 'model.safetensors' }, 1100);
    expect(c.meter.samples).toHaveLength(1);
  });

  it('has no time left when done, and none when the total is unknown', () => {
    expect(etaSeconds(10, 10, null)).toBe(0);
    expect(etaSeconds(5, null, 100)).toBeNull();
    expect(etaSeconds(5, 10, 0)).toBeNull();
    expect(etaSeconds(5, 10, null)).toBeNull();
    expect(etaSeconds(0, 100, 25)).toBe(4);
    expect(feed([[0, 0], [1000, 5 * MB]], null).progress).toMatchObject({ rate: 5 * MB, etaS: null });
  });
});

describe('load failures', () => {
  it('without a code, are classified by their words', () => {
    const cases: [string, ReturnType<typeof classifyFailure>][] = [
      ['cancelled', 'cancelled'],
      ['network error fetching https://huggingface.co/a/b/resolve/main/config.json: Failed to fetch', 'network'],
      ['download of https://x/model.safetensors broke off after 1234 bytes: network', 'network'],
      ['the server answered 503 Service Unavailable for https://x', 'network'],
      ['the server answered 401 Unauthorized for https://huggingface.co/x/y/resolve/main/config.json', 'not-found'],
      ['the repository has neither model.safetensors nor pytorch_model.bin', 'not-a-checkpoint'],
      ['not a checkpoint: expected a .safetensors or PyTorch .pth/.bin file (cat.png is neither)', 'not-a-checkpoint'],
      ['not an MAE checkpoint: none of its tensors has a ViT-MAE name (it holds fc.weight)', 'not-a-checkpoint'],
      ['this checkpoint has no decoder, so it cannot reconstruct (it is an encoder-only checkpoint, e.g. mae_pretrain_vit_*.pth)', 'encoder-only'],
      ["the checkpoint does not fit in this device's memory (Failed to allocate)", 'too-large'],
      ['Array buffer allocation failed', 'too-large'],
      ['the model worker restarted during the load', 'other'],
    ];
    for (const [msg, kind] of cases) expect(classifyFailure(msg), msg).toBe(kind);
    expect(retryable('network')).toBe(true);
    expect(retryable('not-a-checkpoint')).toBe(false);
    expect(retryable('encoder-only')).toBe(false);
    expect(sentence('it broke')).toBe('it broke.');
    expect(sentence('it broke.')).toBe('it broke.');
  });

  it('are classified by their code, whatever the words', () => {
    const cases: [LoadErrorCode, number | undefined, FailureKind][] = [
      ['network', undefined, 'network'],
      ['truncated', undefined, 'network'],
      ['server', 503, 'network'],
      ['server', 429, 'network'],
      ['server', 401, 'not-found'],
      ['server', 403, 'not-found'],
      ['server', 400, 'other'],
      ['not-found', undefined, 'not-found'],
      ['cancelled', undefined, 'cancelled'],
      ['not-a-checkpoint', undefined, 'not-a-checkpoint'],
      ['unsupported', undefined, 'not-a-checkpoint'],
      ['encoder-only', undefined, 'encoder-only'],
      ['out-of-memory', undefined, 'too-large'],
    ];
    for (const [code, status, kind] of cases) {
      expect(failureKindOf(code, 'words that say nothing', status), `${code} ${status}`).toBe(kind);
      expect(classifyLoadError(new LoadError('words that say nothing', code, status)), `${code} ${status}`).toBe(kind);
    }
  });

  it('fall back to the words only for code other, or an error without a code', () => {
    expect(failureKindOf('other', 'Array buffer allocation failed')).toBe('too-large');
    expect(failureKindOf('other', 'the model worker restarted during the load')).toBe('other');
    expect(classifyLoadError(new LoadError('network error fetching x: Failed to fetch'))).toBe('network');
    expect(classifyLoadError(new Error('cancelled'))).toBe('cancelled');
    expect(classifyLoadError('not found: https://x')).toBe('not-found');
  });
});
