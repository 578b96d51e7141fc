// The command line's image sniffers accept what the decoders accept, and refuse the rest with a true reason.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageError } from '../../../tools/lib/image';

const W = 6;
const H = 4;

function jpegFile(): Uint8Array {
  return new Uint8Array(jpeg.encode({ width: W, height: H, data: Buffer.alloc(W * H * 4, 128) }, 90).data);
}

/** Inserts `n` fill bytes (0xFF) before every marker after SOI. */
function withFill(b: Uint8Array, n: number): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  let i = 2;
  while (i < b.length) {
    const marker = b[i + 1];
    for (let k = 0; k < n; k++) out.push(0xff);
    if (marker === 0xda) {
      // Start of scan: the entropy-coded data runs to the end.
      out.push(...b.subarray(i));
      break;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    out.push(...b.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  return Uint8Array.from(out);
}

function pngFile(): Uint8Array {
  const png = new PNG({ width: W, height: H });
  png.data.fill(200);
  return new Uint8Array(PNG.sync.write(png));
}

describe('image sniffing', () => {
  it('accepts JPEG fill bytes before markers, as the decoder does', () => {
    const filled = withFill(jpegFile(), 3);
    expect(filled.length).toBeGreaterThan(jpegFile().length);
    const img = decodeImage(filled);
    expect([img.width, img.height]).toEqual([W, H]);
  });

  it('refuses a PNG whose first chunk is not IHDR, saying so (the PNG format and the decoders require it first)', () => {
    const b = pngFile();
    // Swap in a tEXt chunk before IHDR.
    const text = Uint8Array.from([0, 0, 0, 2, ...'tEXt'.split('').map((c) => c.charCodeAt(0)), 0x61, 0x62, 0, 0, 0, 0]);
    const moved = new Uint8Array([...b.subarray(0, 8), ...text, ...b.subarray(8)]);
    expect(() => decodeImage(moved)).toThrow(ImageError);
    expect(() => decodeImage(moved)).toThrow('the PNG file is corrupt: its first chunk is tEXt, and a PNG must begin with IHDR');
    expect([decodeImage(b).width, decodeImage(b).height]).toEqual([W, H]);
  });

  it('refuses a JPEG with no frame header and data that is no image', () => {
    expect(() => decodeImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9))).toThrow('no frame header found');
    expect(() => decodeImage(new TextEncoder().encode('hello'))).toThrow('not an image');
  });
});
