/**
 * A tiny hub for agent tests (node:http on 127.0.0.1): the two agent endpoints, with an
 * idempotent (agent, seq) ledger, switchable to 503 / down (connection refused) / slow
 * (never answers), and a record of everything it saw. The control paths (4xx, wrong token,
 * reset data folder, assignment change) run against the real hub: test/e2e/agent-control-hub.test.ts.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProbeResult, ReportBatch } from '../../src/protocol/probe-result.ts';
import type { AgentAssignment, AgentCamera } from '../../src/protocol/assignment.ts';

export type HubMode = 'ok' | '503' | 'slow' | 'down';

export class FakeHub {
  mode: HubMode = 'ok';
  token = 'test-token';
  assignment: AgentAssignment = { agent: 'agent-1', version: '1', cameras: [] };
  /** seqs processed, in arrival order */
  processed: number[] = [];
  items: ProbeResult[] = [];
  duplicates = 0;
  /** every POST attempt's seq (including refused and failed ones) */
  attempts: number[] = [];
  assignmentFetches = 0;
  private seen = new Set<number>();
  private server: http.Server;
  private hanging = new Set<http.ServerResponse>();
  port = 0;

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setCameras(cameras: AgentCamera[], version: string): void {
    this.assignment = { ...this.assignment, version, cameras };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.mode = 'ok';
  }

  /** Refuse connections (the port closed) until up(). */
  async down(): Promise<void> {
    this.mode = 'down';
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async up(): Promise<void> {
    await this.start();
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      res.writeHead(401).end('{"error":"bad token"}');
      return;
    }
    if (req.method === 'GET' && req.url === '/api/agent/assignment') {
      this.assignmentFetches++;
      if (this.mode !== 'ok') return this.unavailable(res);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.assignment));
      return;
    }
    if (req.method === 'POST' && req.url === '/api/agent/reports') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const batch = JSON.parse(Buffer.concat(chunks).toString()) as ReportBatch;
        this.attempts.push(batch.seq);
        if (this.mode !== 'ok') return this.unavailable(res);
        const duplicate = this.seen.has(batch.seq);
        if (duplicate) this.duplicates++;
        else {
          this.seen.add(batch.seq);
          this.processed.push(batch.seq);
          this.items.push(...batch.items);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ seq: batch.seq, duplicate, accepted: duplicate ? 0 : batch.items.length, refused: [] }));
      });
      return;
    }
    res.writeHead(404).end();
  }

  private unavailable(res: http.ServerResponse): void {
    if (this.mode === 'slow') {
      this.hanging.add(res); // never answered, nothing processed
      return;
    }
    res.writeHead(503).end('{"error":"hub starting"}');
  }
}
