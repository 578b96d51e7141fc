import { describe, expect, it } from 'vitest';
import { createFileDecoder, decodeFile, DecodeFailure, dimensionProblem, limitConcurrency, MAX_PIXELS, MAX_SIDE, sniffImage, type Fitter } from './decode';
import { dragHasFiles, filesFromTransfer, isTextTarget } from './intake';
import { parseSampleIndex, fetchSamples } from './samples';

const SIZE = 8;
/** A model input side and patch for the whole-picture case, in px. */
const WHOLE_SIZE = 224;
const WHOLE_PATCH = 16;
const okFitter: Fitter = async (_blob, size) => ({ rgba: { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) }, sourceWidth: 640, sourceHeight: 480 });
const failingFitter: Fitter = async () => { throw new DOMException('The source image could not be decoded.', 'InvalidStateError'); };
const neverCalled: Fitter = async () => { throw new Error('the fitter must not be called'); };

function png(width: number, height: number): Blob {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const dv = new DataView(b.buffer);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  return new Blob([b], { type: 'image/png' });
}

function jpeg(width: number, height: number, exifBytes = 100): Blob {
  const exif = new Uint8Array(4 + exifBytes);
  exif.set([0xff, 0xe1, (exifBytes + 2) >> 8, (exifBytes + 2) & 0xff]);
  const sof = new Uint8Array([0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3]);
  return new Blob([new Uint8Array([0xff, 0xd8]), exif, sof, new Uint8Array(20)], { type: 'image/jpeg' });
}

describe('decoding a file', () => {
  it('decodes a good image', async () => {
    const r = await decodeFile(png(640, 480), SIZE, 'crop', okFitter);
    expect(r.ok).toBe(true);
  });

  it('gives a clear message when the decoder fails (a corrupt file)', async () => {
    const r = await decodeFile(png(640, 480), SIZE, 'crop', failingFitter);
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/could not be decoded.*corrupt/) });
  });

  it('refuses what is not an image without decoding it', async () => {
    const r = await decodeFile(new Blob(['hello'], { type: 'text/plain' }), SIZE, 'crop', neverCalled);
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/^not an image \(text\/plain\)/) });
    const empty = await decodeFile(new Blob([], { type: 'image/png' }), SIZE, 'crop', neverCalled);
    expect(empty).toEqual({ ok: false, message: 'the file is empty' });
  });

  it('refuses huge and empty images from their header, before decoding', async () => {
    const huge = await decodeFile(png(30000, 30000), SIZE, 'crop', neverCalled);
    expect(huge.ok).toBe(false);
    expect(!huge.ok && huge.message).toMatch(/too large \(30000 × 30000 px/);
    const zero = await decodeFile(png(0, 100), SIZE, 'crop', neverCalled);
    expect(!zero.ok && zero.message).toMatch(/no pixels/);
    const bigJpeg = await decodeFile(jpeg(20000, 100, 5000), SIZE, 'crop', neverCalled);
    expect(!bigJpeg.ok && bigJpeg.message).toMatch(/too large/);
  });

  it('checks the size the decoder reports, too', async () => {
    const tooMany: Fitter = async (b, s) => ({ ...(await okFitter(b, s, 'crop', WHOLE_PATCH)), sourceWidth: 12000, sourceHeight: 12000 });
    const r = await decodeFile(new Blob(['x'], { type: 'image/x-unknown' }), SIZE, 'crop', tooMany);
    expect(!r.ok && r.message).toMatch(/megapixels/);
    const limits: Fitter = async () => { throw new DecodeFailure('limits', 'the image has no pixels (0 × 0)'); };
    expect(await decodeFile(png(1, 1), SIZE, 'crop', limits)).toEqual({ ok: false, message: 'the image has no pixels (0 × 0)' });
  });

  it('whole picture: accepts the photo\'s aspect in whole patches, refuses another size', async () => {
    // 640 x 480 at a long side of WHOLE_SIZE px: 14 x 11 patches of PATCH px (10.5 rounds to 11).
    const [SIZE, PATCH] = [WHOLE_SIZE, WHOLE_PATCH];
    const aspect: Fitter = async (_b, size, _mode, patch) => {
      const w = size;
      const h = Math.round((size * 480) / 640 / patch) * patch;
      return { rgba: { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }, sourceWidth: 640, sourceHeight: 480 };
    };
    const r = await decodeFile(png(640, 480), SIZE, 'whole', aspect, PATCH);
    expect(r.ok && [r.image.rgba.width, r.image.rgba.height]).toEqual([SIZE, 11 * PATCH]);
    const square = await decodeFile(png(640, 480), SIZE, 'whole', okFitter, PATCH);
    expect(!square.ok && square.message).toBe(`decoding produced ${SIZE} × ${SIZE} pixels instead of ${SIZE} × ${11 * PATCH}`);
  });

  it('keeps the others working when one file fails', async () => {
    const decoder = createFileDecoder(async (blob, size, mode) => {
      if ((await blob.text()).includes('broken')) throw new Error('bad data');
      return okFitter(blob, size, mode, WHOLE_PATCH);
    });
    const results = await Promise.all([
      decoder.decode(new Blob(['a'], { type: 'image/png' }), SIZE, 'crop'),
      decoder.decode(new Blob(['broken'], { type: 'image/png' }), SIZE, 'crop'),
      decoder.decode(new Blob(['c'], { type: 'image/png' }), SIZE, 'crop'),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
  });

  it('knows the limits', () => {
    expect(dimensionProblem(MAX_SIDE, 6000)).toBeNull();
    expect(dimensionProblem(MAX_SIDE + 1, 10)).toMatch(/a side/);
    expect(dimensionProblem(10_001, 10_000)).toMatch(/megapixels/);
    expect(dimensionProblem(10_000, MAX_PIXELS / 10_000)).toBeNull();
  });
});

describe('sniffing headers', () => {
  it('reads sizes of common formats', async () => {
    const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
    expect(sniffImage(await bytes(png(3, 4)))).toEqual({ format: 'png', width: 3, height: 4 });
    expect(sniffImage(await bytes(jpeg(300, 200)))).toEqual({ format: 'jpeg', width: 300, height: 200 });
    const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 10, 0, 20, 0]);
    expect(sniffImage(gif)).toEqual({ format: 'gif', width: 10, height: 20 });
    expect(sniffImage(new TextEncoder().encode('hello world, not an image'))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
  });
});

describe('concurrency limit', () => {
  it('runs at most n at once, in order', async () => {
    let active = 0;
    let peak = 0;
    const slow = limitConcurrency(async (x: number) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (x === 2) throw new Error('two');
      return x;
    }, 2);
    const all = await Promise.allSettled([1, 2, 3, 4, 5].map((x) => slow(x)));
    expect(peak).toBe(2);
    expect(all.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  });
});

describe('drop and paste', () => {
  it('finds files in a transfer and names pasted screenshots', () => {
    const f = new File(['x'], 'image.png', { type: 'image/png' });
    const g = new File(['y'], 'cat.jpg', { type: 'image/jpeg' });
    const got = filesFromTransfer({ files: [f, g] }, () => Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(got.map((x) => x.name)).toEqual(['pasted-2024-01-02-03-04-05.png', 'cat.jpg']);
    const viaItems = filesFromTransfer({ files: [], items: [{ kind: 'string', type: 'text/plain', getAsFile: () => null }, { kind: 'file', type: 'image/jpeg', getAsFile: () => g }] });
    expect(viaItems.map((x) => x.name)).toEqual(['cat.jpg']);
    expect(filesFromTransfer(null)).toEqual([]);
    expect(dragHasFiles({ types: ['text/uri-list'] })).toBe(false);
    expect(dragHasFiles({ types: ['Files'] })).toBe(true);
    expect(isTextTarget({ tagName: 'INPUT' } as unknown as EventTarget)).toBe(true);
    expect(isTextTarget(null)).toBe(false);
  });
});

describe('sample index', () => {
  it('keeps valid entries and tolerates anything else', async () => {
    expect(parseSampleIndex([])).toEqual([]);
    expect(parseSampleIndex(null)).toEqual([]);
    expect(parseSampleIndex({ file: 'a.jpg' })).toEqual([]);
    expect(parseSampleIndex([{ file: 'a.jpg', title: 'A dog', credit: 'Jane, CC BY 4.0' }, { file: '../x.jpg' }, 3, { file: 'a.jpg' }, { file: 'b c.png' }]))
      .toEqual([
        { file: 'a.jpg', title: 'A dog', credit: 'Jane, CC BY 4.0', url: './samples/a.jpg' },
        { file: 'b c.png', title: 'b c.png', credit: '', url: './samples/b%20c.png' },
      ]);
    const notFound = (async () => new Response('nope', { status: 404 })) as typeof fetch;
    expect(await fetchSamples(notFound)).toEqual([]);
    const broken = (async () => new Response('{not json')) as typeof fetch;
    expect(await fetchSamples(broken)).toEqual([]);
    const offline = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    expect(await fetchSamples(offline)).toEqual([]);
  });
});

describe('bundled samples', () => {
  it('lists only files that exist, and their headers sniff', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const dir = new URL('../../../public/samples/', import.meta.url);
    const index = parseSampleIndex(JSON.parse(await readFile(new URL('index.json', dir), 'utf8')));
    const present = new Set(await readdir(dir));
    for (const s of index) {
      expect(present.has(s.file)).toBe(true);
      expect(s.credit).not.toBe('');
      const head = new Uint8Array(await readFile(new URL(s.file, dir)));
      const sniffed = sniffImage(head);
      expect(sniffed?.width).toBeGreaterThan(0);
      expect(sniffed?.height).toBeGreaterThan(0);
    }
  });
});
