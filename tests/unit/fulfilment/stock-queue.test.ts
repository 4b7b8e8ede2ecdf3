import { describe, expect, it } from 'vitest';
import { serveInOrder, type QueuedOrder } from '../../../domain/fulfilment/stock-queue.js';

const waiting = (orderId: string, needs: Array<[string, number, string?]>, claimed = false): QueuedOrder => ({
  orderId,
  claimed,
  needs: needs.map(([skuCode, quantity, warehouseCode]) => ({ skuCode, quantity, warehouseCode: warehouseCode ?? null })),
});
const stock = (skuCode: string, warehouseCode: string, available: number) => ({ skuCode, warehouseCode, available });

describe('serving the stock queue first come first served', () => {
  it('tells only as many orders, in queue order, as the stock serves', () => {
    const queue = [waiting('a', [['TEA', 1]]), waiting('b', [['TEA', 1]]), waiting('c', [['TEA', 1]])];
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 1)])).toEqual(['a']);
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 1), stock('TEA', 'BJ', 1)])).toEqual(['a', 'b']);
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 5)])).toEqual(['a', 'b', 'c']);
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 0), stock('MUG', 'HZ', 9)])).toEqual([]);
  });

  it('counts a claim in flight against the stock without telling that order again', () => {
    const queue = [waiting('a', [['TEA', 1]], true), waiting('b', [['TEA', 1]]), waiting('c', [['TEA', 1]])];
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 1)])).toEqual([]);
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 2)])).toEqual(['b']);
  });

  it('passes over an order the stock cannot fully serve, which keeps its place for the next increase', () => {
    // `a` needs 3 and is also short of mugs: the one unit of tea would serve nobody while held for it.
    const queue = [waiting('a', [['TEA', 3]]), waiting('b', [['TEA', 1], ['MUG', 1]]), waiting('c', [['TEA', 1]])];
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 1)])).toEqual(['c']);
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 1), stock('MUG', 'BJ', 1)])).toEqual(['b']);
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 4), stock('MUG', 'BJ', 1)])).toEqual(['a', 'b']);
  });

  it('serves a need bound to a warehouse only from that warehouse', () => {
    const queue = [waiting('a', [['TEA', 1, 'BJ']]), waiting('b', [['TEA', 1]])];
    expect(serveInOrder(queue, [stock('TEA', 'HZ', 1)])).toEqual(['b']);
    expect(serveInOrder(queue, [stock('TEA', 'BJ', 1)])).toEqual(['a']);
    expect(serveInOrder(queue, [stock('TEA', 'BJ', 1), stock('TEA', 'HZ', 1)])).toEqual(['a', 'b']);
  });
});
