/**
 * Runs one loopback fake camera (ONVIF + RTSP) in its own process, so a measurement in
 * the parent counts only the prober's CPU. Prints one JSON line {onvifPort, rtspPort}.
 * Usage: tsx test/agent-probes/fake-camera-cli.ts <username> <password>
 */
import { startFakeOnvif, startFakeRtsp } from './fake-camera.ts';

const [username = 'admin', password = 'admin'] = process.argv.slice(2);
const onvif = await startFakeOnvif({ username, password, skewMs: 30_000 });
const rtsp = await startFakeRtsp({ username, password, bothChallenges: true });
// no request log in a long run
onvif.requests.length = 0;
setInterval(() => {
  onvif.requests.length = 0;
  rtsp.requests.length = 0;
}, 1000).unref();
process.stdout.write(JSON.stringify({ onvifPort: onvif.port, rtspPort: rtsp.port }) + '\n');
process.on('SIGTERM', () => void Promise.all([onvif.close(), rtsp.close()]).then(() => process.exit(0)));
