import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentialsHint, decryptCredentials, encryptCredentials, INSECURE_DEV_MASTER_KEY, MasterKeyError, masterKeyFrom } from '../../channels/credentials.js';

const key = randomBytes(32);
const creds = { appKey: '12497914', appSecret: 'the-app-secret-值', accessToken: 'session-token' };

/** Flips one bit of one base64url part of a sealed value (0 iv, 1 tag, 2 ciphertext after the version). */
function flip(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('shop credentials encryption', () => {
  it('round-trips, with a fresh IV each time and nothing readable in the ciphertext', () => {
    const a = encryptCredentials(creds, key, 'shop-1');
    const b = encryptCredentials(creds, key, 'shop-1');
    expect(a).not.toBe(b);
    expect(a.startsWith('v1.')).toBe(true);
    expect(a).not.toContain('secret');
    expect(Buffer.from(a.split('.')[3]!, 'base64url').toString('utf8')).not.toContain('the-app-secret');
    expect(decryptCredentials(a, key, 'shop-1')).toEqual(creds);
    expect(decryptCredentials(b, key, 'shop-1')).toEqual(creds);
  });

  it('fails with the wrong key', () => {
    const sealed = encryptCredentials(creds, key, 'shop-1');
    expect(() => decryptCredentials(sealed, randomBytes(32), 'shop-1')).toThrow(MasterKeyError);
    expect(() => decryptCredentials(sealed, INSECURE_DEV_MASTER_KEY, 'shop-1')).toThrow(/wrong ORDERLY_MASTER_KEY or tampered/);
  });

  it('fails when the ciphertext, tag or IV was tampered with, or the value was moved to another shop', () => {
    const sealed = encryptCredentials(creds, key, 'shop-1');
    for (const part of [1, 2, 3] as const) expect(() => decryptCredentials(flip(sealed, part), key, 'shop-1')).toThrow(MasterKeyError);
    // The shop id is authenticated data: a row's credentials copied onto another shop do not open.
    expect(() => decryptCredentials(sealed, key, 'shop-2')).toThrow(MasterKeyError);
    expect(() => decryptCredentials(sealed.replace(/^v1\./, 'v2.'), key, 'shop-1')).toThrow(/unrecognised/);
    expect(() => decryptCredentials('v1.only-two', key, 'shop-1')).toThrow(/unrecognised/);
  });

  it('shows only a masked hint', () => {
    expect(credentialsHint(creds)).toBe('app key 12****14, secret set, access token set');
    expect(credentialsHint({ appKey: 'abc', appSecret: 's' })).toBe('app key ****, secret set');
  });
});

describe('master key from configuration', () => {
  const hex = randomBytes(32).toString('hex');

  it('uses the development key, flagged insecure, only outside production', () => {
    expect(masterKeyFrom({ NODE_ENV: 'development' })).toEqual({ key: INSECURE_DEV_MASTER_KEY, insecure: true });
    expect(() => masterKeyFrom({ NODE_ENV: 'production' })).toThrow(/must be set in production/);
    expect(() => masterKeyFrom({ NODE_ENV: 'production', ORDERLY_MASTER_KEY: '  ' })).toThrow(MasterKeyError);
  });

  it('refuses the development key in production even when given explicitly', () => {
    for (const raw of [INSECURE_DEV_MASTER_KEY.toString('hex'), INSECURE_DEV_MASTER_KEY.toString('base64')]) {
      expect(() => masterKeyFrom({ NODE_ENV: 'production', ORDERLY_MASTER_KEY: raw })).toThrow(/development master key may not be used in production/);
      expect(masterKeyFrom({ NODE_ENV: 'development', ORDERLY_MASTER_KEY: raw }).insecure).toBe(true);
    }
  });

  it('reads 32 bytes of hex or base64 and refuses other lengths', () => {
    const fromHex = masterKeyFrom({ NODE_ENV: 'production', ORDERLY_MASTER_KEY: hex });
    expect(fromHex).toEqual({ key: Buffer.from(hex, 'hex'), insecure: false });
    const fromB64 = masterKeyFrom({ NODE_ENV: 'production', ORDERLY_MASTER_KEY: Buffer.from(hex, 'hex').toString('base64') });
    expect(fromB64.key.equals(fromHex.key)).toBe(true);
    expect(() => masterKeyFrom({ NODE_ENV: 'production', ORDERLY_MASTER_KEY: randomBytes(16).toString('base64') })).toThrow(/32 bytes/);
    // A key from configuration encrypts and decrypts like any other.
    expect(decryptCredentials(encryptCredentials(creds, fromHex.key, 's'), fromB64.key, 's')).toEqual(creds);
  });
});
