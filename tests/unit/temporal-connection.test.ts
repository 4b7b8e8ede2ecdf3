import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/config.js';
import { temporalConnectionOptions } from '../../config/temporal.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/certs.js';

// The options every Temporal client and worker of Orderly connects with (config/temporal.ts), built from
// TEMPORAL_TLS*, and what a TLS server on the other end actually sees when the SDK's two connections use them.

const config = (env: Record<string, string>) => loadConfig({}, env);

describe('Temporal connection options from the configuration', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-temporal-tls-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('connects without TLS when nothing asks for it', () => {
    expect(temporalConnectionOptions(config({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }))).toEqual({ address: 'temporal.internal:7233' });
    expect(temporalConnectionOptions(config({}))).toEqual({ address: '127.0.0.1:7233' });
  });

  it('reads the server root CA, the client certificate and key, and the server name into the SDK options', () => {
    const ca = file('ca.pem', 'the CA');
    const crt = file('client.pem', 'the client certificate');
    const key = file('client.key', 'the client key');
    const options = temporalConnectionOptions(
      config({ TEMPORAL_ADDRESS: '10.0.0.5:7233', TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_CERT_PATH: crt, TEMPORAL_TLS_KEY_PATH: key, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }),
    );
    expect(options.address).toBe('10.0.0.5:7233');
    expect(options.apiKey).toBeUndefined();
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe('the CA');
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe('the client certificate');
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe('the client key');
    expect(options.tls!.serverNameOverride).toBe('temporal.internal');
  });

  it('uses TLS with the system roots for TEMPORAL_TLS alone, and for an API key (Temporal Cloud)', () => {
    expect(temporalConnectionOptions(config({ TEMPORAL_ADDRESS: 'a:7233', TEMPORAL_TLS: 'true' }))).toEqual({ address: 'a:7233', tls: {} });
    expect(temporalConnectionOptions(config({ TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }))).toEqual({ address: 'ns.tmprl.cloud:7233', tls: {}, apiKey: 'k' });
    // A CA alone means TLS too: it would make no sense on a plain connection.
    expect(temporalConnectionOptions(config({ TEMPORAL_ADDRESS: 'a:7233', TEMPORAL_TLS_CA_PATH: file('ca2.pem', 'x') })).tls).toBeDefined();
  });

  it('stops on a certificate without its key, or a file it cannot read, naming the setting', () => {
    const crt = file('only.pem', 'c');
    expect(() => temporalConnectionOptions(config({ TEMPORAL_TLS_CERT_PATH: crt }))).toThrow(ConfigError);
    expect(() => temporalConnectionOptions(config({ TEMPORAL_TLS_CERT_PATH: crt }))).toThrow(/TEMPORAL_TLS_KEY_PATH is not set/);
    const missing = path.join(dir, 'nope.pem');
    expect(() => temporalConnectionOptions(config({ TEMPORAL_TLS_CA_PATH: missing }))).toThrow(`TEMPORAL_TLS_CA_PATH: cannot read ${missing} (ENOENT)`);
  });
});

describe('mTLS as a server sees it', () => {
  const SERVER_NAME = 'temporal.orderly.test';
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates({ serverNames: [SERVER_NAME], clientName: 'orderly-worker' });
  });
  afterAll(() => certs.remove());

  interface Handshake {
    sni: string | false | null;
    clientCN: unknown;
    clientVerified: boolean;
  }
  /**
   * A TLS server of its own per test (a connection of an earlier test may still be retrying): it checks the
   * client certificate against the test CA, records each handshake and hangs up. No gRPC is spoken.
   */
  async function recordingServer() {
    const seen: Handshake[] = [];
    const refused = { count: 0 };
    const server = tls.createServer(
      { cert: fs.readFileSync(certs.serverCertPath), key: fs.readFileSync(certs.serverKeyPath), ca: fs.readFileSync(certs.caPath), requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['h2'] },
      (socket) => {
        seen.push({ sni: socket.servername, clientCN: socket.getPeerCertificate().subject?.CN, clientVerified: socket.authorized });
        socket.destroy();
      },
    );
    server.on('tlsClientError', () => (refused.count += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return { port, seen, refused, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  const tlsEnv = (port: number) => ({
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_TLS_CA_PATH: certs.caPath,
    TEMPORAL_TLS_CERT_PATH: certs.clientCertPath,
    TEMPORAL_TLS_KEY_PATH: certs.clientKeyPath,
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
  });

  /** Connects and hangs up: the handshake is what is checked, the call after it fails (this server speaks no gRPC). */
  async function clientHandshake(c: ReturnType<typeof config>) {
    const connection = Connection.lazy({ ...temporalConnectionOptions(c), connectTimeout: '2s' });
    try {
      await expect(connection.ensureConnected()).rejects.toThrow();
    } finally {
      await connection.close();
    }
  }

  it("the client's Connection presents the client certificate and asks for the configured server name", async () => {
    const server = await recordingServer();
    try {
      await clientHandshake(config(tlsEnv(server.port)));
      expect(server.seen.length).toBeGreaterThan(0);
      expect(server.seen[0]).toEqual({ sni: SERVER_NAME, clientCN: 'orderly-worker', clientVerified: true });
    } finally {
      await server.close();
    }
  });

  it("the worker's NativeConnection does the same", async () => {
    const server = await recordingServer();
    try {
      await expect(NativeConnection.connect(temporalConnectionOptions(config(tlsEnv(server.port))))).rejects.toThrow();
      expect(server.seen.length).toBeGreaterThan(0);
      expect(server.seen[0]).toEqual({ sni: SERVER_NAME, clientCN: 'orderly-worker', clientVerified: true });
    } finally {
      await server.close();
    }
  });

  it('without the CA the server is not trusted: the client breaks off every handshake', async () => {
    const server = await recordingServer();
    try {
      const { TEMPORAL_TLS_CA_PATH: _notTrusted, ...env } = tlsEnv(server.port);
      await clientHandshake(config(env));
      expect(server.refused.count).toBeGreaterThan(0);
      expect(server.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
