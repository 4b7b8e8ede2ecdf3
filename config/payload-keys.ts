import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The keys of the payload codec (config/payload-codec.ts): the current one encrypts every new payload, the
 * older ones stay to decrypt what they encrypted (workflows run for weeks, histories are kept longer).
 */

/** A key's name, written into every payload it encrypts. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Where the development key is kept, under DATA_DIR (one key for `npm start`, `npm run api|worker` and tests). */
export const DEV_PAYLOAD_KEY_FILE = 'payload-key';

export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

export interface PayloadKey {
  readonly id: string;
  /** 32 bytes: AES-256. */
  readonly key: Buffer;
}

/**
 * Parses `id:base64,id:base64,...` (PAYLOAD_KEYS). Every key decodes to exactly 32 bytes, ids are unique.
 *
 * @example parsePayloadKeys('2026-06:q3Jw...=,2026-01:Zk9...=') // [{ id: '2026-06', key }, { id: '2026-01', key }]
 */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new PayloadKeyError('PAYLOAD_KEYS holds no key: expected id:base64(32 bytes)[,id:base64...]');
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    // The message never repeats the entry: it may be a key without its id.
    if (colon < 0) throw new PayloadKeyError(`PAYLOAD_KEYS entry ${i + 1} is not id:base64`);
    const id = entry.slice(0, colon).trim();
    const b64 = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new PayloadKeyError(`PAYLOAD_KEYS key id "${id}" must be 1-64 letters, digits, ".", "_" or "-"`);
    if (seen.has(id)) throw new PayloadKeyError(`PAYLOAD_KEYS names key id "${id}" twice`);
    seen.add(id);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new PayloadKeyError(`PAYLOAD_KEYS key "${id}" is not base64`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new PayloadKeyError(`PAYLOAD_KEYS key "${id}" must decode to 32 bytes (it has ${key.length}); e.g. \`openssl rand -base64 32\``);
    return { id, key };
  });
}

/** The codec's keys: `current` encrypts, every key (current included) decrypts what names its id. */
export class PayloadKeyRing {
  readonly current: PayloadKey;
  private readonly byId: ReadonlyMap<string, PayloadKey>;

  /** `currentId` defaults to the first key. */
  constructor(keys: readonly PayloadKey[], currentId?: string) {
    if (keys.length === 0) throw new PayloadKeyError('the payload key ring needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k]));
    if (this.byId.size !== keys.length) throw new PayloadKeyError('payload key ids must be unique');
    for (const k of keys) if (k.key.length !== 32) throw new PayloadKeyError(`payload key "${k.id}" must be 32 bytes`);
    const current = currentId === undefined ? keys[0] : this.byId.get(currentId);
    if (!current) throw new PayloadKeyError(`PAYLOAD_KEY_ID is "${currentId}", which is not a key of PAYLOAD_KEYS (${this.ids.join(', ')})`);
    this.current = current;
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get(id: string): PayloadKey | undefined {
    return this.byId.get(id);
  }
}

/** What the key ring is resolved from: the configuration (a structural subset, so this module stays below config.ts). */
export interface PayloadKeySettings {
  NODE_ENV: string;
  PAYLOAD_KEYS?: string | undefined;
  PAYLOAD_KEY_ID?: string | undefined;
  /** Absolute DATA_DIR. */
  dataDir: string;
}

export interface ResolvedPayloadKeys {
  ring: PayloadKeyRing;
  /** `config`: PAYLOAD_KEYS; `dev-file`: the development key kept under DATA_DIR. */
  source: 'config' | 'dev-file';
  /** The development key file, when it is the source. */
  file?: string;
  /** True when this call created the development key. */
  created?: boolean;
}

/**
 * The key ring from PAYLOAD_KEYS (and PAYLOAD_KEY_ID). Unset in production: refused. Unset otherwise: a
 * development key generated once and kept in DATA_DIR/payload-key (mode 0600), so every process and test
 * on this machine encrypts and decrypts alike.
 */
export function resolvePayloadKeys(settings: PayloadKeySettings): ResolvedPayloadKeys {
  if (settings.PAYLOAD_KEYS?.trim()) {
    return { ring: new PayloadKeyRing(parsePayloadKeys(settings.PAYLOAD_KEYS), settings.PAYLOAD_KEY_ID), source: 'config' };
  }
  if (settings.NODE_ENV === 'production') {
    throw new PayloadKeyError(
      'PAYLOAD_KEYS must be set in production: Temporal payloads (buyer names, phones, addresses) are encrypted with it. ' +
        'Set PAYLOAD_KEYS=<id>:<base64 of 32 bytes> (e.g. `echo "k1:$(openssl rand -base64 32)"`); see the README, "Payload encryption".',
    );
  }
  if (settings.PAYLOAD_KEY_ID) throw new PayloadKeyError('PAYLOAD_KEY_ID is set but PAYLOAD_KEYS is not');
  const { file, created } = ensureDevKeyFile(settings.dataDir);
  const keys = parsePayloadKeysFile(file);
  return { ring: new PayloadKeyRing(keys), source: 'dev-file', file, created };
}

function parsePayloadKeysFile(file: string): PayloadKey[] {
  try {
    return parsePayloadKeys(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PayloadKeyError(`the development payload key in ${file} is unreadable (${(e as Error).message}); set PAYLOAD_KEYS, or delete the file together with the Temporal data it encrypted`);
  }
}

/**
 * Creates DATA_DIR/payload-key once. Processes starting together (API, worker, test files) may race: the
 * key is written to a file of this process's own and linked into place, which fails for all but the first,
 * and the others read the winner's complete file.
 */
function ensureDevKeyFile(dataDir: string): { file: string; created: boolean } {
  const file = path.join(dataDir, DEV_PAYLOAD_KEY_FILE);
  if (fs.existsSync(file)) {
    // A copied or restored file may have lost its mode: the key is as secret as what it protects.
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    return { file, created: false };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const id = `dev-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return { file, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { file, created: false };
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
