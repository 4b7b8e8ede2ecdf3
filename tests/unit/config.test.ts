import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ConfigError, configSchema, loadConfig } from '../../config/config.js';
import { parseDuration } from '../../config/duration.js';

describe('configuration', () => {
  it('has sensible defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.TEMPORAL_NAMESPACE).toBe('default');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.TEMPORAL_ADDRESS).toBeUndefined();
    expect(c.ORDER_PAYMENT_TIMEOUT).toBe(24 * 3600 * 1000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses values and treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '8080', TEMPORAL_TLS: 'true', ORDER_PAYMENT_TIMEOUT: '15m', DATABASE_URL: '' });
    expect(c.PORT).toBe(8080);
    expect(c.TEMPORAL_TLS).toBe(true);
    expect(c.ORDER_PAYMENT_TIMEOUT).toBe(900_000);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('names every bad key in one error', () => {
    expect(() => loadConfig({ PORT: 'eighty', ORDER_PAYMENT_TIMEOUT: 'soon' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', ORDER_PAYMENT_TIMEOUT: 'soon' });
    } catch (e) {
      expect((e as Error).message).toContain('PORT');
      expect((e as Error).message).toContain('ORDER_PAYMENT_TIMEOUT');
    }
  });

  it('lists every key in .env.example', () => {
    const example = fs.readFileSync('.env.example', 'utf8');
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    for (const key of Object.keys(configSchema.shape)) expect(listed.has(key), `${key} missing from .env.example`).toBe(true);
    for (const key of listed) expect(key! in configSchema.shape, `${key} in .env.example is not a config key`).toBe(true);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('250')).toBe(250);
    expect(() => parseDuration('1.5h')).toThrow(RangeError);
  });
});
