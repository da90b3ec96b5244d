/**
 * Certificates for the HTTPS tests, made by `openssl` at test time in the run's TMPDIR (no key
 * is ever committed): a CA, a hub certificate it signed (127.0.0.1, ::1 and localhost), and
 * a rogue self-signed certificate for the same names (someone else's server on the path).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  dir: string;
  caPem: string;
  caFile: string;
  hubCertFile: string;
  hubKeyFile: string;
  hubCertPem: string;
  hubKeyPem: string;
  /** sha256 hex (no colons) of the hub certificate */
  hubFingerprint: string;
  rogueCertFile: string;
  rogueKeyFile: string;
  rogueCertPem: string;
  rogueKeyPem: string;
  rogueFingerprint: string;
}

const SAN = 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();

export function makeTestCerts(): CertFiles {
  const dir = mkdtempSync(join(tmpdir(), 'se-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=sharpeyes-test-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'hub.key', '-out', 'hub.csr', '-subj', '/CN=sharpeyes-test-hub'], dir);
  writeFileSync(join(dir, 'hub.ext'), `${SAN}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'hub.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '2', '-days', '2', '-extfile', 'hub.ext', '-out', 'hub.pem'], dir);
  openssl(['req', '-x509', ...ec, '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '2', '-subj', '/CN=rogue', '-addext', SAN], dir);
  for (const k of ['ca.key', 'hub.key', 'rogue.key']) chmodSync(join(dir, k), 0o600);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caPem: read('ca.pem'),
    caFile: join(dir, 'ca.pem'),
    hubCertFile: join(dir, 'hub.pem'),
    hubKeyFile: join(dir, 'hub.key'),
    hubCertPem: read('hub.pem'),
    hubKeyPem: read('hub.key'),
    hubFingerprint: fingerprint(read('hub.pem')),
    rogueCertFile: join(dir, 'rogue.pem'),
    rogueKeyFile: join(dir, 'rogue.key'),
    rogueCertPem: read('rogue.pem'),
    rogueKeyPem: read('rogue.key'),
    rogueFingerprint: fingerprint(read('rogue.pem')),
  };
}
