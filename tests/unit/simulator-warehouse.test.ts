import { describe, expect, it } from 'vitest';
import { failsPackage, stepDelayMs, trackingNumber, warehouseEventId } from '../../channels/simulator/warehouse.js';

describe('simulated warehouse tracking numbers', () => {
  it('follows each carrier prefix and length', () => {
    expect(trackingNumber('YTO', 'pk-1', 1)).toMatch(/^YT\d{13}$/);
    expect(trackingNumber('ZTO', 'pk-1', 1)).toMatch(/^7\d{13}$/);
    expect(trackingNumber('SF', 'pk-1', 1)).toMatch(/^SF\d{13}$/);
    expect(trackingNumber('JD', 'pk-1', 1)).toMatch(/^JDVA\d{11}$/);
    expect(trackingNumber('EMS', 'pk-1', 1)).toMatch(/^E\d{11}CN$/);
    expect(trackingNumber('sf', 'pk-1', 1)).toMatch(/^SF\d{13}$/);
    // Unknown carriers keep only characters the events API accepts.
    expect(trackingNumber('best.exp', 'pk-1', 1)).toMatch(/^BESTEX\d{12}$/);
  });

  it('is the same for the same package and seed, and differs otherwise', () => {
    expect(trackingNumber('YTO', 'pk-1', 1)).toBe(trackingNumber('YTO', 'pk-1', 1));
    expect(trackingNumber('YTO', 'pk-1', 1)).not.toBe(trackingNumber('YTO', 'pk-2', 1));
    expect(trackingNumber('YTO', 'pk-1', 1)).not.toBe(trackingNumber('YTO', 'pk-1', 2));
    const many = new Set(Array.from({ length: 500 }, (_, i) => trackingNumber('ZTO', `pk-${i}`, 9)));
    expect(many.size).toBe(500);
  });

  it('derives event ids from the package id', () => {
    expect(warehouseEventId('shipped', 'pk-abc')).toBe('sim-wms:shipped:pk-abc');
    expect(warehouseEventId('picked', 'pk-abc')).not.toBe(warehouseEventId('shipped', 'pk-abc'));
  });

  it('fails about the configured share, none at 0, and the same packages each time', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `pk-${i}`);
    expect(ids.filter((id) => failsPackage(3, id, 0)).length).toBe(0);
    const failed = ids.filter((id) => failsPackage(3, id, 0.1));
    expect(failed.length).toBeGreaterThan(140);
    expect(failed.length).toBeLessThan(260);
    expect(ids.filter((id) => failsPackage(3, id, 0.1))).toEqual(failed);
    expect(ids.every((id) => failsPackage(3, id, 1))).toBe(true);
  });

  it('keeps delays within their bounds', () => {
    const ds = Array.from({ length: 300 }, (_, i) => stepDelayMs(5, `pk-${i}`, 'pick', [100, 200]));
    expect(Math.min(...ds)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...ds)).toBeLessThanOrEqual(200);
    expect(new Set(ds).size).toBeGreaterThan(20);
    expect(stepDelayMs(5, 'pk-1', 'pick', [0, 0])).toBe(0);
  });
});
