// Looking inside recorded workflow histories: every payload wherever it sits (inputs, results, signals,
// memos, summaries, failures), their text, and decoding the encrypted ones with a codec.
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isEncryptedPayload } from '../../config/payload-codec.js';

type Node = Record<string, unknown> | unknown[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array);
}

/** A Temporal Payload: metadata (a map of bytes) with its encoding. */
function isPayload(v: unknown): v is Payload {
  if (!isObject(v) || !isObject(v.metadata)) return false;
  return v.metadata.encoding instanceof Uint8Array;
}

function visit(node: Node, onPayload: (p: Payload, replace: (q: Payload) => void) => void): void {
  const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
  for (const [k, v] of entries) {
    const replace = (q: Payload) => {
      (node as Record<string | number, unknown>)[k] = q;
    };
    if (isPayload(v)) onPayload(v, replace);
    else if (Array.isArray(v) || isObject(v)) visit(v, onPayload);
  }
}

/** Every payload in a history (or any proto object), in document order. */
export function payloadsIn(history: object): Payload[] {
  const found: Payload[] = [];
  visit(history as Node, (p) => found.push(p));
  return found;
}

/**
 * Replaces every encrypted payload of `history` (in place) by what `codecs` decode it to, the last codec
 * first as the SDK does; returns how many were decoded.
 */
export async function decodeHistoryPayloads(history: object, codecs: readonly PayloadCodec[]): Promise<number> {
  const pending: { p: Payload; replace: (q: Payload) => void }[] = [];
  visit(history as Node, (p, replace) => {
    if (isEncryptedPayload(p)) pending.push({ p, replace });
  });
  for (const { p, replace } of pending) {
    let decoded = [p];
    for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
    replace(decoded[0]!);
  }
  return pending.length;
}

/** All text a reader of the history could see: its strings, and all its bytes read as UTF-8. */
export function historyText(history: object): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') parts.push(v);
    else if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) Object.values(v).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}
