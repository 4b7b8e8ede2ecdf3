import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parsePayloadKeys } from './payload-keys.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const duration = z.string().transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const port = z.coerce.number().int().min(0).max(65535);
/** A size in bytes: `1048576`, `512KiB`, `8MiB`. */
const byteSize = z.string().transform((v, ctx) => {
  const m = /^(\d+)\s*(KiB|MiB)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'kib' ? 1024 : 1024 * 1024) : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size: bytes, or a number with KiB or MiB (1048576, 512KiB, 8MiB)` });
    return z.NEVER;
  }
  return n;
});
/** Requests per minute (per shop or per client address, per API process); 0 turns the limit off. */
const perMinute = z.coerce.number().int().min(0);

/** Every key Orderly reads from the environment, with its default. `.env.example` mirrors this list. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty` on a terminal, `json` otherwise, unless set. */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  /**
   * TLS for the API: PEM files of its certificate (with its chain) and private key, both or neither. Set, the
   * API answers https only (plain http on its port is refused) and sends HSTS; unset, plain http (development,
   * or TLS ended by a proxy in front: see TRUST_PROXY).
   */
  API_TLS_CERT_PATH: z.string().optional(),
  API_TLS_KEY_PATH: z.string().optional(),
  /**
   * The proxy in front of the API whose X-Forwarded-For/-Proto to believe: `true` (whatever connects), a hop
   * count, or addresses and CIDRs (comma-separated). Unset: none, and the client address is the peer's. The
   * per-address rate limits and the https-only headers (HSTS, the codec cookie's Secure) go by what this yields.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v): boolean | number | string => (v === undefined || v === 'false' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v)),
  /** The largest request body the API reads (platform pushes: WEBHOOK_BODY_LIMIT); larger is answered 413. */
  API_BODY_LIMIT: byteSize.default(1024 * 1024),
  /** The largest platform push (`/webhooks/...`) the API reads: message batches can be large; larger is answered 413. */
  WEBHOOK_BODY_LIMIT: byteSize.default(8 * 1024 * 1024),
  /**
   * Pushes per minute per shop, per API process, before 429 (Retry-After). Far above a Double 11 peak on purpose
   * (README, "Transport security"): it stops a runaway sender, never a burst. 0: no limit.
   */
  WEBHOOK_RATE_LIMIT: perMinute.default(300_000),
  /**
   * Failed API key attempts (401 to a request that carried a key) per minute per client address, per API process;
   * past it, every call needing a key from that address is answered 429 until the minute is over. 0: no limit.
   */
  AUTH_FAILURE_RATE_LIMIT: perMinute.default(30),
  /** Loads and posts of the codec sign-in page (`/codec/session`) per minute per client address. 0: no limit. */
  CODEC_SESSION_RATE_LIMIT: perMinute.default(20),
  /** Where the embedded PostgreSQL, the Temporal dev server's database and downloaded tools live. */
  DATA_DIR: z.string().default('.data'),

  /** When set, Orderly uses this PostgreSQL instead of starting an embedded one. */
  DATABASE_URL: z.string().optional(),
  EMBEDDED_PG_PORT: port.default(54329),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),

  /** When set, Orderly uses this Temporal cluster instead of starting the CLI's dev server. */
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  /** The name the Temporal server's certificate is checked against (and SNI), when not the host of TEMPORAL_ADDRESS. */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TASK_QUEUE: z.string().default('orderly-orders'),
  /** Path of the `temporal` CLI binary; otherwise PATH, then DATA_DIR, then pip, then the SDK's download. */
  TEMPORAL_CLI_PATH: z.string().optional(),
  /** Path of the time-skipping test server (`temporal-test-server`) the workflow tests run; found like the CLI otherwise. */
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),

  /** How long an unpaid order waits for payment before it closes (platforms close unpaid orders too). */
  ORDER_PAYMENT_TIMEOUT: duration.default(parseDuration('24h')),
  /**
   * The inbox relay hands stored events (pushes, and whatever an inline delivery missed) to their workflows.
   * It runs in the worker process by default, so an API process only verifies, stores and acknowledges;
   * `api` runs it in the API process instead (a deployment without workers of its own); `npm start` runs one.
   */
  INBOX_RELAY: z.enum(['worker', 'api']).default('worker'),
  /** How often the relay looks at the inbox without a notification, and its pause after Temporal failed. */
  RELAY_INTERVAL: duration.default(parseDuration('2s')),
  /**
   * The relay starts no more deliveries while this many workflow tasks (or more) wait in the orders' task queue:
   * the workers are behind, and more orders in flight would only slow every one of them; the pushes wait in the
   * inbox. 0: deliver whatever the backlog.
   */
  RELAY_MAX_BACKLOG: z.coerce.number().int().min(0).default(0),
  /** Orders the relay delivers at a time, per process. */
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /** Requests slower than this inside the API (receipt to answer) are logged at warn. */
  SLOW_REQUEST_MS: z.coerce.number().int().min(1).default(1000),
  /** Seed demo shops, warehouses and SKUs at start (on for `npm start`). */
  SEED_DEMO: bool.default(false),

  /**
   * 32-byte key (base64 or 64 hex digits) that encrypts shop credentials (AES-256-GCM). Unset outside
   * production: a fixed, publicly known development key is used (channels/credentials.ts) and a warning is
   * logged; production refuses to start without a real one.
   */
  ORDERLY_MASTER_KEY: z.string().optional(),
  /**
   * Keys of the Temporal payload codec (AES-256-GCM; config/payload-codec.ts): `id:base64,id:base64,...`,
   * each 32 bytes. The current key (the first, or PAYLOAD_KEY_ID) encrypts every new payload; the others
   * only decrypt what they encrypted, so a rotation puts the new key first and keeps the old ones. Unset
   * outside production: a development key is generated once in DATA_DIR/payload-key (mode 0600) and shared
   * by every process and test on the machine; production refuses to start without keys.
   */
  PAYLOAD_KEYS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (!v?.trim()) return;
      try {
        parsePayloadKeys(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
  /** The id of the key in PAYLOAD_KEYS that encrypts new payloads; unset: the first. */
  PAYLOAD_KEY_ID: z.string().optional(),
  /**
   * Origins (comma-separated) whose pages may call the codec endpoint (`/codec/encode`, `/codec/decode`)
   * from a browser: the Temporal UI's. Unset: the dev server's UI, http://localhost and http://127.0.0.1
   * on TEMPORAL_UI_PORT.
   */
  CODEC_CORS_ORIGINS: z.string().optional(),
  /**
   * Pull interval of a shop created without one, for every platform. Unset: the platform's own default
   * (20 s for Taobao, JD and Douyin, 60 s for Pinduoduo: see the README's "Pull defaults").
   */
  PULL_DEFAULT_INTERVAL: duration.optional(),
  /** Each pull re-reads this much before its cursor, for orders the platform indexed late. */
  PULL_OVERLAP: duration.default(parseDuration('2m')),
  /** How far back the first pull of a new shop reaches. */
  PULL_INITIAL_LOOKBACK: duration.default(parseDuration('1h')),
  /** Consecutive failed pull runs of a shop before an alert (log + exception) is raised. */
  PULL_ALERT_AFTER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  /**
   * Calls per second, per shop, to a platform's buyer-data decrypt API (batched, audited). Unset: the
   * platform's own pace (channels/<platform>/decrypt.ts).
   */
  BUYER_DECRYPT_CALLS_PER_SECOND: z.coerce.number().positive().max(1000).optional(),

  /** How long a package waits for more orders of the same buyer and address before it is sealed. */
  PACKAGE_HOLD_WINDOW: duration.default(parseDuration('30m')),
  /** How often an order short of stock is planned again. */
  FULFILMENT_REPLAN_INTERVAL: duration.default(parseDuration('15m')),

  /** Where escalated exceptions are announced (a JSON POST, signed); unset: only the log and the database. */
  EXCEPTION_WEBHOOK_URL: z.url().optional(),
  /** The HMAC-SHA256 key of the `x-orderly-signature` header on those calls. */
  EXCEPTION_WEBHOOK_SECRET: z.string().min(16).optional(),

  /**
   * The admin API key made on the first start, when the database holds no key yet (ignored, with a warning,
   * once keys exist). Unset: a key is generated and printed once. Send keys as `Authorization: Bearer <key>`.
   */
  ORDERLY_ADMIN_KEY: z.string().min(32, 'an API key has at least 32 characters').optional(),
  /**
   * Shop API base URLs (`apiBaseUrl`) must be https outside NODE_ENV=development; true allows http as well
   * (a platform simulator or a gateway on the same host, as the tests and benchmarks use).
   */
  ALLOW_HTTP_SHOP_API: bool.default(false),
  /** `/metrics` without a key (a scraper on a private network); false: any key of role viewer and up. */
  METRICS_PUBLIC: bool.default(false),
  /**
   * Workflows a worker process keeps in memory between their tasks (the SDK's sticky cache; a workflow that is not
   * cached is replayed from its history on its next task). Unset: the SDK's default, sized from the memory the
   * process may use.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /** Workflow tasks a worker process runs at once. Unset: the SDK's default (40). */
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).optional(),
  /** Activities a worker process runs at once (they mostly wait on PostgreSQL and the platforms). */
  WORKER_ACTIVITY_TASK_SLOTS: z.coerce.number().int().min(1).default(100),
  /**
   * Where the worker's Temporal SDK metrics (Prometheus text at `/metrics`: `temporal_*`, and Orderly's own
   * `orderly_reservation_conflicts_total`) are served, `host:port`; `off` serves none. One address per worker
   * process: a second process on the same host needs another port (a port in use is logged, and the worker runs
   * on without metrics).
   */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^(off|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/, 'host:port (e.g. 127.0.0.1:9464, 0.0.0.0:9464), or off')
    .default('127.0.0.1:9464'),
  /** The recent window `/metrics` reads stage durations and recent orders over. */
  METRICS_WINDOW: duration.default(parseDuration('1h')),
  /** How long the figures `/metrics` reads from PostgreSQL may take, each query; past it they are left out. */
  METRICS_QUERY_TIMEOUT: duration.default(parseDuration('2s')),
});

export type Config = Readonly<z.infer<typeof configSchema>> & { readonly dataDir: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once into a frozen, typed config; a bad value stops start-up with its key named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof z.input<typeof configSchema>, string>> = {}): Config {
  const source: Record<string, string | undefined> = { ...env, ...overrides };
  // Empty strings mean "unset", as in most .env files.
  for (const k of Object.keys(source)) if (source[k] === '') delete source[k];
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze({ ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) });
}
