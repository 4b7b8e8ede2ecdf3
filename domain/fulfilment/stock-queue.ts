// Which orders waiting for stock a stock increase can serve, first come first served.

/** One SKU an order waiting for stock needs (all of it: nothing of a short order is reserved). */
export interface StockNeed {
  readonly skuCode: string;
  /** null: stock in any warehouse helps (the allocator chooses); otherwise only that warehouse's. */
  readonly warehouseCode: string | null;
  readonly quantity: number;
}

/** An order in the queue, with everything it waits for. */
export interface QueuedOrder {
  readonly orderId: string;
  readonly needs: readonly StockNeed[];
  /** Already told that stock arrived and not re-planned since: its claim is in flight, it is not told again. */
  readonly claimed: boolean;
}

/** Available stock (on hand minus reserved) of one SKU in one warehouse. */
export interface Available {
  readonly skuCode: string;
  readonly warehouseCode: string;
  readonly available: number;
}

/**
 * Walks the queue in its order (priority, then paid time, then waiting time) and picks the orders whose every
 * need the available stock covers, each taking its share before the next is looked at. An order already
 * claimed takes its share but is not picked again; an order the stock cannot fully serve is passed over (a
 * short order reserves nothing, so holding the stock back for it would serve nobody) and keeps its place.
 *
 * @example
 * serveInOrder(
 *   [{ orderId: 'a', needs: [{ skuCode: 'TEA', warehouseCode: null, quantity: 1 }], claimed: false },
 *    { orderId: 'b', needs: [{ skuCode: 'TEA', warehouseCode: null, quantity: 1 }], claimed: false }],
 *   [{ skuCode: 'TEA', warehouseCode: 'WH-HZ', available: 1 }],
 * ); // => ['a']
 */
export function serveInOrder(queue: readonly QueuedOrder[], stock: readonly Available[]): string[] {
  const left = new Map<string, number>();
  const add = (key: string, n: number) => left.set(key, (left.get(key) ?? 0) + n);
  for (const s of stock) {
    if (s.available <= 0) continue;
    add(`${s.skuCode}\u0001*`, s.available);
    add(`${s.skuCode}\u0001${s.warehouseCode}`, s.available);
  }
  // An any-warehouse need takes from the SKU's total; a warehouse need from that warehouse and the total.
  const keysOf = (n: StockNeed) => (n.warehouseCode === null ? [`${n.skuCode}\u0001*`] : [`${n.skuCode}\u0001*`, `${n.skuCode}\u0001${n.warehouseCode}`]);
  const picked: string[] = [];
  for (const o of queue) {
    const fits = o.needs.every((n) => keysOf(n).every((k) => (left.get(k) ?? 0) >= n.quantity));
    if (!fits && !o.claimed) continue;
    for (const n of o.needs) for (const k of keysOf(n)) left.set(k, Math.max(0, (left.get(k) ?? 0) - n.quantity));
    if (!o.claimed) picked.push(o.orderId);
  }
  return picked;
}
