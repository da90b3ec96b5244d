/**
 * A reusable jpeg-js encoder. `jpeg.encode()` builds a new JPEGEncoder per call, and building
 * one (Huffman and category tables, 65 k small arrays) costs ~15–50 ms — far more than
 * encoding a 320×180 frame (~2–4 ms). jpeg-js does not export the class, so we evaluate its
 * encoder source once to get it; if that ever fails (a new jpeg-js layout) we fall back to
 * the public `encode`, which is slower but correct.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';

interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}
type Encoder = { encode(image: RawImage, quality: number): Buffer };

let shared: Encoder | null | undefined;

function loadEncoder(quality: number): Encoder | null {
  try {
    const require = createRequire(import.meta.url);
    const src = readFileSync(require.resolve('jpeg-js/lib/encoder.js'), 'utf8');
    // the file is plain ES5; `module` is passed so it takes its Node (Buffer-returning) path
    const Ctor = new Function('module', 'exports', `${src}\n;return JPEGEncoder;`)({ exports: {} }, {}) as new (q: number) => Encoder;
    const enc = new Ctor(quality);
    const probe = enc.encode({ data: Buffer.alloc(8 * 8 * 4, 128), width: 8, height: 8 }, quality);
    return Buffer.isBuffer(probe) && probe[0] === 0xff && probe[1] === 0xd8 ? enc : null;
  } catch {
    return null;
  }
}

/** Encode RGBA pixels to a baseline JPEG. */
export function encodeJpeg(image: RawImage, quality = 60): Buffer {
  if (shared === undefined) shared = loadEncoder(quality);
  if (shared) return shared.encode(image, quality);
  return jpeg.encode(image, quality).data;
}

/** True when the fast (reused) encoder is in use — tests and benches report it. */
export function fastEncoderActive(): boolean {
  if (shared === undefined) shared = loadEncoder(60);
  return shared !== null;
}
