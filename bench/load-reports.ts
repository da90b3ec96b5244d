/**
 * Load generator for the ingest bench (its own process, so it does not share the
 * hub's event loop): posts 500-item report batches over keep-alive HTTP with a
 * few requests in flight, bounded in count and time, then prints one JSON line.
 * argv: url token cameraCount batches concurrency maxSeconds
 */
import { itemJson, reportPoster } from './report-poster.ts';

const [url, token, nCamerasS, batchesS, concS, maxS] = process.argv.slice(2);
const nCameras = Number(nCamerasS);
const totalBatches = Number(batchesS);
const concurrency = Number(concS ?? 4);
const deadline = Date.now() + Number(maxS ?? 60) * 1000;
const BATCH = 500;
const base = Date.now();

function body(seq: number): string {
  const first = ((seq - 1) * BATCH) % nCameras;
  const round = Math.floor(((seq - 1) * BATCH) / nCameras);
  const at = base + round * 1000;
  const parts: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const n = ((first + i) % nCameras) + 1;
    const code = `37092300001320${String(n).padStart(6, '0')}`;
    const down = (n * 7 + round) % 29 === 0; // a few failures so transitions happen
    parts.push(itemJson(code, at, down, n % 500));
  }
  return `{"seq":${seq},"sentAt":${Date.now()},"items":[${parts.join(',')}]}`;
}

const poster = reportPoster(url!, token!, concurrency);
const post = poster.post;

let next = 1;
let ok = 0;
let failed = 0;
const t0 = performance.now();
async function worker(): Promise<void> {
  while (next <= totalBatches && Date.now() < deadline) {
    const seq = next++;
    const status = await post(body(seq));
    if (status === 200) ok++;
    else failed++;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ okBatches: ok, failedBatches: failed, items: ok * BATCH, seconds }) + '\n');
poster.close();
