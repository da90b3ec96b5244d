/**
 * `npm run demo:config -- [--out DIR] [--cameras N]`: writes the demo county's files (what
 * `npm start` generates in data/demo/) so they can be read, edited, or served with
 * `CONFIG_DIR=DIR/config npm run hub` beside `npm run sim`. The agent's token is random (a new
 * one per run) and also in DIR/agent-token, for `npm run agent -- --token-file DIR/agent-token`;
 * DIR and DIR/config are 0700, every file 0600.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDemoFiles } from './demo.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: './demo-county' }, cameras: { type: 'string', default: '5000' } } });
const cameras = Number(values.cameras);
if (!Number.isInteger(cameras) || cameras < 1 || cameras > 200_000) {
  process.stderr.write(`--cameras must be an integer 1..200000, got ${values.cameras}\n`);
  process.exit(2);
}
const { configDir, tokenFile } = writeDemoFiles(resolve(values.out), cameras);
process.stdout.write(`demo county with ${cameras} cameras written to ${configDir}\nits agent's token (owner-only): ${tokenFile}\n`);
