import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  dir: string;
  /** The test CA's certificate (PEM), the root both sides trust. */
  caPath: string;
  /** A server certificate for `serverNames` (and 127.0.0.1), signed by the CA. */
  serverCertPath: string;
  serverKeyPath: string;
  /** A client certificate (CN `clientName`), signed by the CA, for mTLS. */
  clientCertPath: string;
  clientKeyPath: string;
  remove(): void;
}

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A throw-away CA with a server and a client certificate (P-256, valid two days), made with the openssl CLI. */
export function makeTestCertificates(opts: { serverNames?: string[]; clientName?: string } = {}): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Orderly test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, cn: string, ext: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}\n`);
    openssl(dir, 'req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  const names = opts.serverNames ?? ['localhost'];
  leaf('server', names[0]!, `extendedKeyUsage=serverAuth\nsubjectAltName=${[...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}`);
  leaf('client', opts.clientName ?? 'orderly-client', 'extendedKeyUsage=clientAuth');
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caPath: p('ca.pem'),
    serverCertPath: p('server.pem'),
    serverKeyPath: p('server.key'),
    clientCertPath: p('client.pem'),
    clientKeyPath: p('client.key'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
