/** What the bench load generators send: probe-result JSON written by hand (fast) and a keep-alive poster. */
import http from 'node:http';

/** One ProbeResult as JSON text: a full ladder passed, or the TCP rung timed out. */
export function itemJson(code: string, at: number, down: boolean, clockOffsetMs = 120): string {
  return down
    ? `{"camera":"${code}","at":${at},"fault":"unreachable","clockOffsetMs":null,"rungs":[{"rung":"tcp","outcome":"timeout","ms":3000}]}`
    : `{"camera":"${code}","at":${at},"fault":null,"clockOffsetMs":${clockOffsetMs},"rungs":[{"rung":"tcp","outcome":"ok","ms":0.3},{"rung":"onvif_time","outcome":"ok","ms":1.2},{"rung":"onvif_auth","outcome":"ok","ms":2.5},{"rung":"rtsp","outcome":"ok","ms":1.1}]}`;
}

/** POST report batches to {url}/api/agent/reports over keep-alive connections; resolves to the status. */
export function reportPoster(url: string, token: string, maxSockets: number): { post(payload: string): Promise<number>; close(): void } {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    post: (payload) =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: '/api/agent/reports',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
