/**
 * Report poster for bench/tickets.ts (its own process, so the load does not share the
 * hub's event loop). argv: url token. Reads one JSON phase per stdin line:
 *   {"codes": [...], "fault": "unreachable" | null, "rounds": 3, "concurrency": 4}
 * posts `rounds` rounds of 500-item batches over keep-alive HTTP (a round ends before
 * the next starts, so each camera's results arrive in order), then prints one JSON line
 * {"ok","failed","ms"}. Bounded: at most 2,000 batches per phase and 120 s per phase.
 */
import { createInterface } from 'node:readline';
import { itemJson, reportPoster } from './report-poster.ts';

const [url, token] = process.argv.slice(2);
const BATCH = 500;
let seq = 1;
let lastAt = Date.now() - 1;

const item = (code: string, at: number, fault: string | null): string => itemJson(code, at, fault === 'unreachable');
const poster = reportPoster(url!, token!, 16);
const post = poster.post;

async function phase(p: { codes: string[]; fault: string | null; rounds: number; concurrency?: number }): Promise<{ ok: number; failed: number; ms: number }> {
  const t0 = performance.now();
  const deadline = Date.now() + 120_000;
  let ok = 0;
  let failed = 0;
  let budget = 2000;
  for (let r = 0; r < p.rounds && Date.now() < deadline; r++) {
    const at = (lastAt = Math.max(Date.now(), lastAt + 1));
    const chunks: string[][] = [];
    for (let i = 0; i < p.codes.length; i += BATCH) chunks.push(p.codes.slice(i, i + BATCH));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length && budget > 0 && Date.now() < deadline) {
        const chunk = chunks[next++]!;
        budget--;
        const body = `{"seq":${seq++},"sentAt":${Date.now()},"items":[${chunk.map((c) => item(c, at, p.fault)).join(',')}]}`;
        const status = await post(body).catch(() => 0);
        if (status === 200) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: p.concurrency ?? 4 }, worker));
  }
  return { ok, failed, ms: performance.now() - t0 };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const out = await phase(JSON.parse(line));
  process.stdout.write(JSON.stringify(out) + '\n');
}
poster.close();
