/**
 * The JPEG a simulated camera serves: a test pattern in a colour of its own, with a white
 * bar that moves one step per second and the camera's number as a row of bit blocks.
 * Encoded with jpeg-js at most once per camera per second (cached), never per request.
 */
import { encodeJpeg } from './jpeg-encoder.ts';

export const SNAPSHOT_WIDTH = 320;
export const SNAPSHOT_HEIGHT = 180;
const BAR_W = 16;

// one scratch RGBA frame: encoding is synchronous, so it is never shared by two encodes at once
const scratch = Buffer.alloc(SNAPSHOT_WIDTH * SNAPSHOT_HEIGHT * 4);

/** A stable, saturated colour per camera code. */
export function colourOf(code: string): [number, number, number] {
  let h = 2166136261;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 16777619) >>> 0;
  const hue = (h % 360) / 60;
  const x = Math.round(200 * (1 - Math.abs((hue % 2) - 1)));
  const sector = Math.floor(hue);
  const table: [number, number, number][] = [
    [200, x, 40],
    [x, 200, 40],
    [40, 200, x],
    [40, x, 200],
    [x, 40, 200],
    [200, 40, x],
  ];
  return table[sector] ?? [200, 40, 40];
}

/** Encode the pattern of `code` at `second` (epoch seconds). */
export function renderSnapshot(code: string, second: number, index: number): Buffer {
  const [r, g, b] = colourOf(code);
  const barX = (second * BAR_W) % SNAPSHOT_WIDTH;
  for (let y = 0; y < SNAPSHOT_HEIGHT; y++) {
    for (let x = 0; x < SNAPSHOT_WIDTH; x++) {
      const o = (y * SNAPSHOT_WIDTH + x) * 4;
      let pr = r,
        pg = g,
        pb = b;
      if (x >= barX && x < barX + BAR_W) {
        pr = pg = pb = 245;
      } else if (y >= 8 && y < 20 && x >= 8 && x < 8 + 16 * 12) {
        // camera number as 16 bit blocks: white = 1, black = 0
        const bit = 15 - Math.floor((x - 8) / 12);
        pr = pg = pb = (index >> bit) & 1 ? 255 : 0;
      } else if (y >= SNAPSHOT_HEIGHT - 12) {
        const v = Math.round((x / SNAPSHOT_WIDTH) * 255); // grey ramp along the bottom
        pr = pg = pb = v;
      }
      scratch[o] = pr;
      scratch[o + 1] = pg;
      scratch[o + 2] = pb;
      scratch[o + 3] = 255;
    }
  }
  return encodeJpeg({ data: scratch, width: SNAPSHOT_WIDTH, height: SNAPSHOT_HEIGHT }, 60);
}

/** Per-camera cache holder: one encoded frame per wall-clock second. */
export class SnapshotCache {
  private second = -1;
  private jpeg: Buffer | null = null;
  /** how many frames were actually encoded (tests and benches read it) */
  encodes = 0;

  constructor(
    private readonly code: string,
    private readonly index: number,
  ) {}

  get(now = Date.now()): Buffer {
    const s = Math.floor(now / 1000);
    if (this.jpeg === null || s !== this.second) {
      this.jpeg = renderSnapshot(this.code, s, this.index);
      this.second = s;
      this.encodes++;
    }
    return this.jpeg;
  }
}
