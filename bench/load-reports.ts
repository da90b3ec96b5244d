/**
 * Load generator for the ingest bench (its own process, so it does not share the
 * hub's event loop): posts 500-item report batches over keep-alive HTTP with a
 * few requests in flight, bounded in count and time, then prints one JSON line.
 * argv: url token cameraCount batches concurrency maxSeconds
 */
import http from 'node:http';

const [url, token, nCamerasS, batchesS, concS, maxS] = process.argv.slice(2);
const nCameras = Number(nCamerasS);
const totalBatches = Number(batchesS);
const concurrency = Number(concS ?? 4);
const deadline = Date.now() + Number(maxS ?? 60) * 1000;
const target = new URL(url!);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
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
    parts.push(
      down
        ? `{"camera":"${code}","at":${at},"fault":"unreachable","clockOffsetMs":null,"rungs":[{"rung":"tcp","outcome":"timeout","ms":3000}]}`
        : `{"camera":"${code}","at":${at},"fault":null,"clockOffsetMs":${n % 500},"rungs":[{"rung":"tcp","outcome":"ok","ms":0.3},{"rung":"onvif_time","outcome":"ok","ms":1.2},{"rung":"onvif_auth","outcome":"ok","ms":2.5},{"rung":"rtsp","outcome":"ok","ms":1.1}]}`,
    );
  }
  return `{"seq":${seq},"sentAt":${Date.now()},"items":[${parts.join(',')}]}`;
}

function post(payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: '/api/agent/reports', method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

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
agent.destroy();
