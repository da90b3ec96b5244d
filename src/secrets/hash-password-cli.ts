/**
 * `npm run -s hash-password`: reads a password from standard input (typed, or piped:
 * `printf '%s' "$PW" | npm run -s hash-password`) and prints its scrypt hash for
 * `password_hash:` in config/users.yaml. Never from the command line: arguments end up
 * in `ps` and the shell's history.
 */
import { createInterface } from 'node:readline';
import { hashPassword } from './passwords.ts';

if (process.argv.length > 2) {
  process.stderr.write('hash-password takes no arguments: type the password (or pipe it) on standard input\n');
  process.exit(2);
}
if (process.stdin.isTTY) process.stderr.write('password: ');
const rl = createInterface({ input: process.stdin, terminal: false });
const line = await new Promise<string>((resolve) => {
  let got = '';
  rl.once('line', (l) => {
    got = l;
    rl.close();
  });
  rl.once('close', () => resolve(got));
});
if (line.length === 0) {
  process.stderr.write('no password given\n');
  process.exit(2);
}
process.stdout.write(`${await hashPassword(line)}\n`);
