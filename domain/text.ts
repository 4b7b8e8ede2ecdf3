// Text PostgreSQL can store. A `text` column refuses NUL (U+0000) outright; `jsonb` refuses `\u0000` and an
// unpaired surrogate (which JavaScript strings may hold but Unicode text may not). Whatever arrives from
// outside (a caller, a platform) is checked or cleaned with these before it can reach a row.

/** NUL, or a surrogate half without its other half. */
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/**
 * Why a string cannot be stored, or undefined when it can.
 *
 * @example unstorableReason('a\u0000b') // 'a NUL character'
 * @example unstorableReason('李**') // undefined
 */
export function unstorableReason(text: string): string | undefined {
  const m = UNSTORABLE.exec(text);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'a NUL character' : `an unpaired surrogate (U+${m[0].charCodeAt(0).toString(16).toUpperCase()})`;
}

/**
 * The text with NUL removed and unpaired surrogates replaced by U+FFFD, as a UTF-8 round trip would; for free
 * text (remarks, reasons, messages) that is kept rather than refused.
 *
 * @example storableText('a\u0000b\ud800') // 'ab\ufffd'
 */
export function storableText(text: string): string {
  if (!UNSTORABLE.test(text)) return text;
  return text.replace(UNSTORABLE_ALL, (c) => (c === '\u0000' ? '' : '\ufffd'));
}

/**
 * The first string (an object key or a value) in a JSON-like value that cannot be stored, with its path in
 * JSON Pointer form; undefined when there is none.
 *
 * @example findUnstorable({ lines: [{ title: 'x\u0000' }] }) // { path: '/lines/0/title', reason: 'a NUL character' }
 */
export function findUnstorable(value: unknown): { path: string; reason: string } | undefined {
  // A walk with a stack of its own: a body may nest deeper than the call stack goes.
  const todo: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  while (todo.length) {
    const { v, path } = todo.pop()!;
    if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) return { path, reason };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i]!;
      const at = `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      const keyReason = unstorableReason(k);
      if (keyReason) return { path: at, reason: `its name holds ${keyReason}` };
      todo.push({ v: x, path: at });
    }
  }
  return undefined;
}
