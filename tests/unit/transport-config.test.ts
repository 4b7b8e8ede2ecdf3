import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/config.js';
import { apiScheme, apiTlsOptions } from '../../config/tls.js';

// The API's transport settings (README, "Transport security"): TLS files, the proxy to trust, body and rate limits.

describe('transport configuration', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-api-tls-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('defaults: plain http, no proxy trusted, 1 MiB bodies and 8 MiB pushes, generous push and strict key-failure limits', () => {
    const c = loadConfig({});
    expect(apiTlsOptions(c)).toBeUndefined();
    expect(apiScheme(c)).toBe('http');
    expect(c.TRUST_PROXY).toBe(false);
    expect(c.API_BODY_LIMIT).toBe(1024 * 1024);
    expect(c.WEBHOOK_BODY_LIMIT).toBe(8 * 1024 * 1024);
    expect(c.WEBHOOK_RATE_LIMIT).toBe(300_000);
    expect(c.AUTH_FAILURE_RATE_LIMIT).toBe(30);
    expect(c.CODEC_SESSION_RATE_LIMIT).toBe(20);
  });

  it('reads sizes in bytes, KiB or MiB, and refuses anything else naming the key', () => {
    expect(loadConfig({}, { API_BODY_LIMIT: '2048' }).API_BODY_LIMIT).toBe(2048);
    expect(loadConfig({}, { API_BODY_LIMIT: '64KiB' }).API_BODY_LIMIT).toBe(65_536);
    expect(loadConfig({}, { WEBHOOK_BODY_LIMIT: '16mib' }).WEBHOOK_BODY_LIMIT).toBe(16 * 1024 * 1024);
    for (const bad of ['1.5MiB', '10GB', '0', 'big']) expect(() => loadConfig({}, { API_BODY_LIMIT: bad }), bad).toThrow(/API_BODY_LIMIT/);
    expect(loadConfig({}, { WEBHOOK_RATE_LIMIT: '0' }).WEBHOOK_RATE_LIMIT).toBe(0);
    expect(() => loadConfig({}, { AUTH_FAILURE_RATE_LIMIT: '-1' })).toThrow(/AUTH_FAILURE_RATE_LIMIT/);
  });

  it('reads TRUST_PROXY as Fastify takes it: a flag, a hop count, or addresses', () => {
    expect(loadConfig({}, { TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({}, { TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({}, { TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({}, { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toBe('10.0.0.0/8, 127.0.0.1');
  });

  it('reads the certificate and key, both or neither, naming what is missing or unreadable', () => {
    const cert = path.join(dir, 'api.pem');
    const key = path.join(dir, 'api.key');
    fs.writeFileSync(cert, 'certificate');
    fs.writeFileSync(key, 'key');
    const c = loadConfig({}, { API_TLS_CERT_PATH: cert, API_TLS_KEY_PATH: key });
    const tls = apiTlsOptions(c)!;
    expect(tls.cert.toString()).toBe('certificate');
    expect(tls.key.toString()).toBe('key');
    expect(apiScheme(c)).toBe('https');
    expect(() => apiTlsOptions(loadConfig({}, { API_TLS_CERT_PATH: cert }))).toThrow(new ConfigError('API_TLS_CERT_PATH and API_TLS_KEY_PATH go together: API_TLS_KEY_PATH is not set'));
    expect(() => apiTlsOptions(loadConfig({}, { API_TLS_KEY_PATH: key }))).toThrow(/API_TLS_CERT_PATH is not set/);
    expect(() => apiTlsOptions(loadConfig({}, { API_TLS_CERT_PATH: cert, API_TLS_KEY_PATH: path.join(dir, 'none.key') }))).toThrow(/^API_TLS_KEY_PATH: cannot read .*none\.key \(ENOENT\)$/);
  });
});
