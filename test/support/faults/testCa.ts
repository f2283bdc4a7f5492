// A throwaway certificate authority made with openssl in a scratch directory: a server
// certificate for 127.0.0.1 and localhost (a test's broker or proxy) and a client certificate,
// each signed by it. Keys are unencrypted PKCS#8 PEM, which Kafka's PEM stores read as they are.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type TestCa = {
  dir: string;
  /** The CA's certificate (what clients trust). */
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** The server's key and certificate in one file: Kafka's `ssl.keystore.location` with type PEM. */
  serverKeystoreFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  remove(): void;
};

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function signed(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
  ]);
}

export function createTestCa(): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-ca-'));
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=flashsale test CA',
  ]);
  signed(dir, 'server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'client', '/CN=flashsale-client', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => path.join(dir, name);
  fs.writeFileSync(file('server-keystore.pem'), fs.readFileSync(file('server.key'), 'utf8') + fs.readFileSync(file('server.pem'), 'utf8'));
  return {
    dir,
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    serverKeystoreFile: file('server-keystore.pem'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
