import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BAD_ADDRESS_KINDS, type BadAddressKind, type SimOrder, type SimPlatform } from './generator.js';
import { PlatformSimulator, pushesKind, type PushKind, type PushResult, type SimShop } from './server.js';
import { startWarehouse, WAREHOUSE_DEFAULTS, type WarehousePlayer, type WarehouseReport } from './warehouse.js';

/**
 * `npm run simulate`: drives a running Orderly with the platform simulator. Connects one shop per platform
 * through Orderly's REST API (credentials matching the simulator, the simulator as the shop's API base),
 * creates seeded orders at a fixed rate, pushes them with real signatures (plus redeliveries and events out
 * of order, as platforms do) or leaves them to Orderly's pulls, then reads Orderly's orders back and says
 * what arrived and what did not. Only HTTP between this process and Orderly: the same view a platform has.
 */

export const SIM_PLATFORMS: readonly SimPlatform[] = ['taobao', 'jd', 'douyin', 'pdd'];
export type SyncMode = 'push' | 'pull' | 'both';

export interface DriveOptions {
  platforms: SimPlatform[];
  /** Orders per second, over all platforms together. */
  rate: number;
  durationS: number;
  seed: number;
  /** Undefined: push where the platform pushes, pull for JD. */
  mode: SyncMode | undefined;
  /** Orderly's base URL. */
  api: string;
  /** The API key sent to Orderly (`Authorization: Bearer`): an admin key, since the run creates and changes shops. */
  apiKey?: string | undefined;
  /** The most the end of the run waits for orders to arrive, in seconds. */
  waitS: number;
  /** Share of push messages delivered a second time (same message id), as platforms redeliver. */
  duplicateRate: number;
  /** Share of paid orders whose payment message is pushed before their creation message. */
  outOfOrderRate: number;
  /** Shops are `<prefix>-<platform>`. */
  shopPrefix: string;
  pullIntervalS: number;
  /** Set by `--warehouse`: the simulator also plays the warehouse (picks and ships released packages). */
  warehouse?: WarehouseFlags;
  /**
   * Set by `--repeat-buyers`: share of orders placed by a buyer who already ordered in this run in the same
   * shop, to the same address (what merging and hold windows are for). Absent: every buyer is new.
   */
  repeatBuyerRate?: number;
  /**
   * Set by `--already-shipped`, `--refund-line`, `--late-address`: shares of pushed orders that play a
   * scenario (consecutive slices of one seeded draw, so together at most 1). Absent: none.
   */
  alreadyShippedRate?: number;
  refundLineRate?: number;
  lateAddressRate?: number;
  /**
   * Set by `--bad-address`: share of paid orders (pushed or pulled, any platform) whose receiver address is
   * unusable: no street, a province that contradicts the city, or no real region (`BAD_ADDRESS_KINDS`, equal parts).
   */
  badAddressRate?: number;
}

/**
 * What a pushed order may go through besides arriving: shipped on the platform before Orderly heard of it,
 * one of its lines refunded soon after payment, or its address changed a little later.
 */
export type SimScenario = 'already_shipped' | 'refund_line' | 'late_address';
export const SIM_SCENARIOS: readonly SimScenario[] = ['already_shipped', 'refund_line', 'late_address'];

/**
 * The push platforms that can play each scenario. Douyin's push has no after-sale tag that Orderly maps
 * (after-sales come through another API), so it plays no refund.
 */
export const SCENARIO_PLATFORMS: Readonly<Record<SimScenario, readonly SimPlatform[]>> = {
  already_shipped: ['taobao', 'douyin', 'pdd'],
  refund_line: ['taobao', 'pdd'],
  late_address: ['taobao', 'douyin', 'pdd'],
};

/**
 * The scenario an order plays, from one draw `u` in [0, 1): already-shipped takes the first slice of the
 * shares, refund-line the next, late-address the next. The order must be paid in full (no presale or unpaid
 * order), a refund needs two lines or more, and the platform must push what the scenario needs; an order
 * that cannot play its slice's scenario plays none.
 */
export function chooseScenario(u: number, opts: Pick<DriveOptions, 'alreadyShippedRate' | 'refundLineRate' | 'lateAddressRate'>, o: Pick<SimOrder, 'platform' | 'status' | 'presale' | 'lines'>): SimScenario | undefined {
  const a = opts.alreadyShippedRate ?? 0;
  const r = opts.refundLineRate ?? 0;
  const l = opts.lateAddressRate ?? 0;
  const picked: SimScenario | undefined = u < a ? 'already_shipped' : u < a + r ? 'refund_line' : u < a + r + l ? 'late_address' : undefined;
  if (!picked || o.status !== 'paid' || o.presale || !SCENARIO_PLATFORMS[picked].includes(o.platform)) return undefined;
  if (picked === 'refund_line' && o.lines.length < 2) return undefined;
  return picked;
}

/**
 * Whether an order gets a bad address, and which, from one draw `u` in [0, 1): below `rate`, the kinds take
 * equal consecutive slices of it; otherwise none. Only orders paid in full (no presale, not awaiting payment)
 * get one, so that every bad address meets Orderly's checks within the run.
 */
export function chooseBadAddress(u: number, rate: number | undefined, o: Pick<SimOrder, 'status' | 'presale'>): BadAddressKind | undefined {
  if (!rate || u >= rate || o.status !== 'paid' || o.presale) return undefined;
  return BAD_ADDRESS_KINDS[Math.min(BAD_ADDRESS_KINDS.length - 1, Math.floor((u / rate) * BAD_ADDRESS_KINDS.length))];
}

export interface WarehouseFlags {
  /** Share of packages reported failed instead of shipped. */
  failRate: number;
  /** Most milliseconds before each warehouse step (a tenth of it is the least). */
  maxDelayMs: number;
  /** Carrier of packages released without one. */
  defaultCarrier: string;
}

export const DRIVE_DEFAULTS = {
  platform: 'douyin',
  rate: 10,
  durationS: 30,
  api: 'http://127.0.0.1:3000',
  waitS: 60,
  duplicateRate: 0.05,
  outOfOrderRate: 0.05,
  shopPrefix: 'sim',
  pullIntervalS: 5,
} as const;

export const USAGE = `Usage: npm run simulate -- [options]

Drives a running Orderly (start it with \`npm start\`) with the four-platform simulator.

  --platform <p>        taobao | jd | douyin | pdd | all          (default ${DRIVE_DEFAULTS.platform})
  --rate <n>            orders per second over all platforms, 0.1..2000 (default ${DRIVE_DEFAULTS.rate})
  --duration <s>        seconds of order generation, 1..86400       (default ${DRIVE_DEFAULTS.durationS})
  --seed <n>            generator seed, a non-negative integer      (default: from the clock, printed)
  --mode <m>            push | pull | both   (default: push, and pull for jd; jd can only pull)
  --api <url>           Orderly's base URL                          (default ${DRIVE_DEFAULTS.api})
  --api-key <key>       an admin API key of that Orderly            (default: $ORDERLY_KEY; \`npm start\` prints one)
  --wait <s>            most seconds to wait for orders at the end, 0..3600 (default ${DRIVE_DEFAULTS.waitS})
  --duplicates <f>      share of push messages delivered twice, 0..1 (default ${DRIVE_DEFAULTS.duplicateRate})
  --out-of-order <f>    share of paid orders pushed "paid" before "created", 0..1 (default ${DRIVE_DEFAULTS.outOfOrderRate})
  --shop-prefix <s>     shops are <prefix>-<platform>, created or reused (default ${DRIVE_DEFAULTS.shopPrefix})
  --pull-interval <s>   pull schedule of pulled shops, 5..3600      (default ${DRIVE_DEFAULTS.pullIntervalS})
  --warehouse           also play the warehouse: pick and ship every released package (default off)
  --warehouse-fail <f>  with --warehouse, share of packages reported failed, 0..1 (default ${WAREHOUSE_DEFAULTS.failRate})
  --warehouse-delay <s> with --warehouse, most seconds before each of pick and ship, 0..600 (default ${WAREHOUSE_DEFAULTS.delayMs[1] / 1000})
  --warehouse-carrier <c> with --warehouse, carrier of packages released without one (default ${WAREHOUSE_DEFAULTS.defaultCarrier})
  --repeat-buyers <f>   share of orders from a buyer who already ordered in this run, same shop and address, 0..1 (default 0)
  --already-shipped <f> share of paid pushed orders already shipped on the platform when first pushed (created/paid,
                        then shipped); Orderly should end them shipped_elsewhere, 0..1 (default 0)
  --refund-line <f>     share of paid pushed orders with 2+ lines that get one line's refund request soon after
                        payment (Taobao: then the refund paid out; PDD: order-level; not Douyin), 0..1 (default 0)
  --late-address <f>    share of paid pushed orders whose receiver changes a little later, 0..1 (default 0)
                        (the three shares split the same orders: together at most 1; taobao, douyin, pdd only)
  --bad-address <f>     share of paid orders whose receiver address is unusable: no street, a province that
                        contradicts the city, or no real region (equal parts), 0..1 (default 0)
  -h, --help            this text

Example: npm run simulate -- --platform douyin --rate 50 --duration 60
`;

export type ParsedArgs = { kind: 'run'; options: DriveOptions } | { kind: 'help' } | { kind: 'error'; message: string };

function num(name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new Error(`--${name} must be a number, got "${raw}"`);
  if (integer && !Number.isInteger(v)) throw new Error(`--${name} must be a whole number, got "${raw}"`);
  if (v < min || v > max) throw new Error(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return v;
}

/**
 * Reads the command line (what follows `npm run simulate --`). `now` seeds the default seed; `defaultApiKey`
 * (the ORDERLY_KEY environment variable, for the script) is the key when `--api-key` is not given.
 */
export function parseSimulateArgs(argv: readonly string[], now = Date.now(), defaultApiKey?: string): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        platform: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        mode: { type: 'string' },
        api: { type: 'string' },
        'api-key': { type: 'string' },
        wait: { type: 'string' },
        duplicates: { type: 'string' },
        'out-of-order': { type: 'string' },
        'shop-prefix': { type: 'string' },
        'pull-interval': { type: 'string' },
        warehouse: { type: 'boolean' },
        'warehouse-fail': { type: 'string' },
        'warehouse-delay': { type: 'string' },
        'warehouse-carrier': { type: 'string' },
        'repeat-buyers': { type: 'string' },
        'already-shipped': { type: 'string' },
        'refund-line': { type: 'string' },
        'late-address': { type: 'string' },
        'bad-address': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return { kind: 'help' };
    if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}"`);

    const platform = values.platform ?? DRIVE_DEFAULTS.platform;
    let platforms: SimPlatform[];
    if (platform === 'all') platforms = [...SIM_PLATFORMS];
    else if ((SIM_PLATFORMS as readonly string[]).includes(platform)) platforms = [platform as SimPlatform];
    else throw new Error(`--platform must be one of taobao, jd, douyin, pdd, all; got "${platform}"`);

    const mode = values.mode;
    if (mode !== undefined && mode !== 'push' && mode !== 'pull' && mode !== 'both') throw new Error(`--mode must be push, pull or both; got "${mode}"`);
    if (platform === 'jd' && mode && mode !== 'pull') throw new Error(`jd has no push: --mode must be pull for --platform jd`);

    const api = values.api ?? DRIVE_DEFAULTS.api;
    let apiUrl: URL;
    try {
      apiUrl = new URL(api);
    } catch {
      throw new Error(`--api must be a URL such as http://127.0.0.1:3000; got "${api}"`);
    }
    if (apiUrl.protocol !== 'http:' && apiUrl.protocol !== 'https:') throw new Error(`--api must be an http(s) URL; got "${api}"`);

    const shopPrefix = values['shop-prefix'] ?? DRIVE_DEFAULTS.shopPrefix;
    // The shop id is part of workflow ids: the shops API allows letters, digits, "_", "-" and ".".
    if (!/^[A-Za-z0-9_.-]{1,50}$/.test(shopPrefix)) throw new Error(`--shop-prefix may contain letters, digits, "_", "-" and "." (1..50); got "${shopPrefix}"`);

    const whFlags = (['warehouse-fail', 'warehouse-delay', 'warehouse-carrier'] as const).filter((k) => values[k] !== undefined);
    if (!values.warehouse && whFlags.length) throw new Error(`--${whFlags[0]} needs --warehouse`);
    const carrier = values['warehouse-carrier'] ?? WAREHOUSE_DEFAULTS.defaultCarrier;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(carrier)) throw new Error(`--warehouse-carrier must be a carrier code such as YTO; got "${carrier}"`);

    const options: DriveOptions = {
      platforms,
      rate: num('rate', values.rate, DRIVE_DEFAULTS.rate, 0.1, 2000),
      durationS: num('duration', values.duration, DRIVE_DEFAULTS.durationS, 1, 86_400),
      seed: num('seed', values.seed, now % 1_000_000, 0, 2 ** 32 - 1, true),
      mode,
      api: api.replace(/\/+$/, ''),
      ...((values['api-key'] ?? defaultApiKey) ? { apiKey: values['api-key'] ?? defaultApiKey } : {}),
      waitS: num('wait', values.wait, DRIVE_DEFAULTS.waitS, 0, 3600),
      duplicateRate: num('duplicates', values.duplicates, DRIVE_DEFAULTS.duplicateRate, 0, 1),
      outOfOrderRate: num('out-of-order', values['out-of-order'], DRIVE_DEFAULTS.outOfOrderRate, 0, 1),
      shopPrefix,
      pullIntervalS: num('pull-interval', values['pull-interval'], DRIVE_DEFAULTS.pullIntervalS, 5, 3600, true),
      // Absent rather than undefined when off, so the options of a plain run stay what they were.
      ...(values.warehouse
        ? {
            warehouse: {
              failRate: num('warehouse-fail', values['warehouse-fail'], WAREHOUSE_DEFAULTS.failRate, 0, 1),
              maxDelayMs: Math.round(num('warehouse-delay', values['warehouse-delay'], WAREHOUSE_DEFAULTS.delayMs[1] / 1000, 0, 600) * 1000),
              defaultCarrier: carrier.toUpperCase(),
            },
          }
        : {}),
      ...(values['repeat-buyers'] !== undefined ? { repeatBuyerRate: num('repeat-buyers', values['repeat-buyers'], 0, 0, 1) } : {}),
      ...(values['already-shipped'] !== undefined ? { alreadyShippedRate: num('already-shipped', values['already-shipped'], 0, 0, 1) } : {}),
      ...(values['refund-line'] !== undefined ? { refundLineRate: num('refund-line', values['refund-line'], 0, 0, 1) } : {}),
      ...(values['late-address'] !== undefined ? { lateAddressRate: num('late-address', values['late-address'], 0, 0, 1) } : {}),
      ...(values['bad-address'] !== undefined ? { badAddressRate: num('bad-address', values['bad-address'], 0, 0, 1) } : {}),
    };
    const scenarioTotal = (options.alreadyShippedRate ?? 0) + (options.refundLineRate ?? 0) + (options.lateAddressRate ?? 0);
    // A little slack for decimal shares such as 0.7 + 0.2 + 0.1.
    if (scenarioTotal > 1 + 1e-9) throw new Error(`--already-shipped, --refund-line and --late-address are shares of the same orders: together at most 1, got ${+scenarioTotal.toFixed(6)}`);
    return { kind: 'run', options };
  } catch (e) {
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  }
}

/** The sync mode a platform's shop gets: JD has no push, so it is pulled whatever was asked. */
export function syncModeFor(platform: SimPlatform, mode: SyncMode | undefined): SyncMode {
  if (platform === 'jd') return 'pull';
  return mode ?? 'push';
}

// Running ------------------------------------------------------------------------------------------------

export class OrderlyUnreachableError extends Error {
  override readonly name = 'OrderlyUnreachableError';
}

export class OrderlyApiError extends Error {
  override readonly name = 'OrderlyApiError';
}

export interface DriveShop {
  platform: SimPlatform;
  shopId: string;
  syncMode: SyncMode;
  /** Whether the shop existed in Orderly before this run (and was updated) or was created by it. */
  reused: boolean;
}

export interface GeneratedOrder {
  platform: SimPlatform;
  shopId: string;
  platformOrderId: string;
  /** Orderly's id: `order:<platform>:<shopId>:<platformOrderId>`. */
  orderId: string;
  pushed: boolean;
  duplicated: boolean;
  outOfOrder: boolean;
  /** With --bad-address: how its receiver address was spoiled, if it was. */
  badAddress?: BadAddressKind;
  /** The scenario it played, if any (and, for refund-line, the refunded line). */
  scenario?: SimScenario;
  refundLineId?: string;
  /** late-address: the street (masked, as the platform shows it) after the change. */
  changedAddress?: string;
}

/** Per scenario: orders that played it, the scenario's own messages pushed, and the orders' statuses in Orderly at the end. */
export interface ScenarioReport {
  orders: number;
  /** already-shipped: shipped messages; refund-line: refund-created messages; late-address: address-changed messages. */
  messages: number;
  /** refund-line on Taobao: refund-success messages (the line paid out). */
  refundsPaid?: number;
  byStatus: Record<string, number>;
}

export interface DriveProgress {
  phase: 'generating' | 'waiting' | 'done';
  elapsedS: number;
  durationS: number;
  generated: number;
  acknowledged: number;
  failed: number;
  duplicatesSent: number;
  /** Orders of this run's shops that Orderly lists (-1 before the first count). */
  inOrderly: number;
  waitedS: number;
  waitS: number;
}

export interface DriveReport {
  options: DriveOptions;
  shops: DriveShop[];
  simulatorUrl: string;
  startedAt: string;
  generatingS: number;
  waitedS: number;
  stoppedEarly: boolean;
  /** Orders the rate and duration called for. */
  planned: number;
  /** Of those, not generated because Orderly answered too slowly to keep up (the in-flight cap was reached until the duration ran out). */
  behind: number;
  generated: number;
  generatedByPlatform: Partial<Record<SimPlatform, number>>;
  pushes: {
    /** Distinct messages pushed (redeliveries not counted). */
    messages: number;
    acknowledged: number;
    failed: number;
    /** Answers by HTTP status, over every attempt ("200 retry" when the body asked for a redelivery). */
    byStatus: Record<string, number>;
    retried: number;
    duplicatesSent: number;
    duplicatesAcknowledged: number;
    outOfOrder: number;
    ackMsP50: number | null;
    ackMsP99: number | null;
  };
  orderly: {
    found: number;
    /** Orders of this run that Orderly had before the run started (same seed as an earlier run). */
    alreadyThere: number;
    byStatus: Record<string, number>;
    /** Of this run's orders, those Orderly lists in status `received`: stored but no workflow has taken them yet. */
    notYetRunning: number;
    missing: GeneratedOrder[];
    /** Orders of the shops that this run did not generate (earlier runs). */
    others: number;
    byShop: Array<{ shopId: string; platform: SimPlatform; syncMode: SyncMode; generated: number; found: number; pull?: { cursor: string | null; lastError: string | null; consecutiveFailures: number } }>;
  };
  orders: GeneratedOrder[];
  /** Orders waiting in a package's hold window (status `allocated`): sampled during the run, and per order from its timeline. */
  holds: HoldReport;
  /** With --already-shipped, --refund-line or --late-address: what each scenario sent and where its orders ended. */
  scenarios?: Partial<Record<SimScenario, ScenarioReport>>;
  /** With --bad-address: orders given a bad address, per kind, and the status each ended in. */
  badAddresses?: { orders: number; byKind: Partial<Record<BadAddressKind, number>>; byStatus: Record<string, number> };
  /** With --warehouse: what the warehouse player did and what came of it. */
  warehouse?: WarehouseReport & {
    /** Of this run's orders, those Orderly lists as `shipped`. */
    ordersShipped: number;
    /** Shipment write-backs the simulated platforms recorded from Orderly for this run's shops. */
    writebacks: number;
    /** Distinct platform orders among those write-backs. */
    writebackOrders: number;
  };
}

export interface HoldReport {
  /** Orders of this run's shops listed as `allocated`, counted once a second from the first push to the end of the wait. */
  samples: number;
  allocatedPeak: number;
  allocatedMean: number;
  /** Of this run's orders (timelines read, at most `HOLD_TIMELINES_MAX`): those that reached `allocated` or `released`. */
  timelines: number;
  reachedPackage: number;
  /**
   * Of those, the orders put into a package that was held: a package window ending after the order was
   * allocated (from the `status:allocated` entry's packages). What the merge policy decided, whatever the load.
   */
  held: number;
  /** Window left when allocated (package window end - allocated), over held orders, in ms. */
  heldMsP50: number | null;
  heldMsP99: number | null;
  /** Released with `allocated` -> `released` taking at least `HOLD_WAITED_MS` (the hold plus the release work, under load). */
  waited: number;
  /** Still `allocated` at the end: in a window that had not closed yet. */
  stillWaiting: number;
  /** `allocated` -> `released` over released orders, in ms. */
  waitMsP50: number | null;
  waitMsP99: number | null;
}

/** Timelines read for the hold figures (one request each). */
export const HOLD_TIMELINES_MAX = 5000;
/** An order released this long or more after it was allocated waited in a hold window, not just for the release step. */
export const HOLD_WAITED_MS = 1000;

export interface DriveHooks {
  onProgress?: (p: DriveProgress) => void;
  /** Aborting stops generating early; the run still waits and reports. */
  signal?: AbortSignal;
  /** Milliseconds between progress callbacks. */
  progressEveryMs?: number;
}

interface OrderRow {
  id: string;
  status: string;
  createdAt: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Orderly over HTTP; a refused connection becomes OrderlyUnreachableError. */
class OrderlyClient {
  constructor(
    private readonly base: string,
    private readonly apiKey: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
      throw new OrderlyUnreachableError(`Orderly is not reachable at ${this.base} (${cause}). Start it with \`npm start\`, or point --api at it.`);
    }
    const text = await res.text();
    if (res.status === 401) throw new OrderlyApiError(`Orderly at ${this.base} wants an API key (${text.slice(0, 200)}): pass an admin key with --api-key or ORDERLY_KEY (\`npm start\` prints one)`);
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json, text };
  }

  async ready(): Promise<void> {
    const r = await this.request('GET', '/readyz');
    if (r.status !== 200) throw new OrderlyUnreachableError(`Orderly at ${this.base} is up but not ready (HTTP ${r.status}: ${r.text.slice(0, 200)}). Is PostgreSQL or Temporal down?`);
  }

  /** Every order Orderly lists for a shop, page by page. */
  async ordersOf(shopId: string): Promise<OrderRow[]> {
    const out: OrderRow[] = [];
    for (let offset = 0; ; ) {
      const r = await this.request('GET', `/v1/orders?shopId=${encodeURIComponent(shopId)}&limit=500&offset=${offset}`);
      if (r.status !== 200) throw new OrderlyApiError(`GET /v1/orders for shop ${shopId}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      const page = r.json as { total: number; items: OrderRow[] };
      out.push(...page.items);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) return out;
    }
  }

  async countOf(shopId: string, status?: string): Promise<number> {
    const r = await this.request('GET', `/v1/orders?shopId=${encodeURIComponent(shopId)}&limit=1${status ? `&status=${status}` : ''}`);
    return r.status === 200 ? (r.json as { total: number }).total : -1;
  }
}

function pct(xs: number[], p: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Creates the shop in Orderly, or brings an existing one in line with this run (new secret, simulator URL). */
async function connectShop(orderly: OrderlyClient, sim: PlatformSimulator, opts: DriveOptions, platform: SimPlatform): Promise<{ shop: DriveShop; sim: SimShop }> {
  const shopId = `${opts.shopPrefix}-${platform}`;
  const syncMode = syncModeFor(platform, opts.mode);
  // A fresh secret each run: the simulator is new, and the shop must not keep accepting an old run's pushes.
  const simShop: SimShop = { platform, shopId, appKey: `${opts.shopPrefix}-${platform}-app`, appSecret: randomBytes(16).toString('hex') };
  const settings = {
    name: `Simulator ${platform}`,
    credentials: { appKey: simShop.appKey, appSecret: simShop.appSecret },
    apiBaseUrl: sim.baseUrl(platform),
    syncMode,
    pullIntervalSeconds: opts.pullIntervalS,
    // The simulator has no indexing delay; a small lag keeps the window off the second being written.
    pullLagSeconds: 2,
    pullOverlapSeconds: 60,
  };
  const existing = await orderly.request('GET', `/v1/shops/${encodeURIComponent(shopId)}`);
  let reused = false;
  if (existing.status === 200) {
    const p = (existing.json as { platform?: string }).platform;
    if (p !== platform) throw new OrderlyApiError(`shop ${shopId} exists in Orderly for platform ${p}, not ${platform}; choose another --shop-prefix`);
    const r = await orderly.request('PATCH', `/v1/shops/${encodeURIComponent(shopId)}`, { ...settings, active: true });
    if (r.status !== 200) throw new OrderlyApiError(`PATCH /v1/shops/${shopId}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    reused = true;
  } else if (existing.status === 404) {
    const r = await orderly.request('POST', '/v1/shops', { id: shopId, platform, ...settings });
    if (r.status !== 201) throw new OrderlyApiError(`POST /v1/shops (${shopId}): HTTP ${r.status} ${r.text.slice(0, 300)}`);
  } else {
    throw new OrderlyApiError(`GET /v1/shops/${shopId}: HTTP ${existing.status} ${existing.text.slice(0, 300)}`);
  }
  sim.addShop(simShop);
  return { shop: { platform, shopId, syncMode, reused }, sim: simShop };
}

/** Whether a push answer means the platform may forget the message (each platform's own success shape). */
function acknowledged(r: PushResult): boolean {
  if (r.status !== 200) return false;
  // Douyin answers 200 either way and asks for a redelivery with code 1 in the body.
  try {
    const body = JSON.parse(r.body) as { code?: unknown };
    return !(body && typeof body === 'object' && 'code' in body && body.code !== 0);
  } catch {
    // PDD's ack frame carries the message id as a bare number beyond 2^53; any 200 is its ack.
    return true;
  }
}

export async function drive(opts: DriveOptions, hooks: DriveHooks = {}): Promise<DriveReport> {
  const orderly = new OrderlyClient(opts.api, opts.apiKey);
  await orderly.ready();

  const sim = new PlatformSimulator({ seed: opts.seed });
  const simUrl = await sim.start();
  const started = new Date();
  const shops: Array<{ shop: DriveShop; sim: SimShop }> = [];
  const orders: GeneratedOrder[] = [];
  const byStatus: Record<string, number> = {};
  const ackMs: number[] = [];
  const counters = { messages: 0, acknowledged: 0, failed: 0, retried: 0, duplicatesSent: 0, duplicatesAcknowledged: 0, outOfOrder: 0 };
  let inOrderly = -1;
  let phase: DriveProgress['phase'] = 'generating';
  let genStarted = performance.now();
  let genS = 0;
  let waitStarted = 0;
  let stoppedEarly = false;
  let planned = 0;
  let progressTimer: NodeJS.Timeout | undefined;
  let countTimer: NodeJS.Timeout | undefined;
  let warehouse: WarehousePlayer | undefined;
  let holdTimer: NodeJS.Timeout | undefined;
  let sampling = false;
  const allocatedSamples: number[] = [];

  const progress = (): DriveProgress => ({
    phase,
    elapsedS: phase === 'generating' ? (performance.now() - genStarted) / 1000 : genS,
    durationS: opts.durationS,
    generated: orders.length,
    acknowledged: counters.acknowledged,
    failed: counters.failed,
    duplicatesSent: counters.duplicatesSent,
    inOrderly,
    waitedS: waitStarted ? (performance.now() - waitStarted) / 1000 : 0,
    waitS: opts.waitS,
  });

  // Seeded choices of what to redeliver and reorder, apart from the generator's own stream so that
  // changing these rates does not change the orders.
  let chooser = (opts.seed ^ 0x9e3779b9) >>> 0;
  const chance = (p: number): boolean => {
    chooser = (Math.imul(chooser, 1664525) + 1013904223) >>> 0;
    return chooser / 4294967296 < p;
  };

  // Repeat buyers draw from a stream of their own too, so that turning them on changes no other choice.
  let buyerChooser = (opts.seed ^ 0x85ebca6b) >>> 0;
  const buyerDraw = (): number => {
    buyerChooser = (Math.imul(buyerChooser, 1664525) + 1013904223) >>> 0;
    return buyerChooser / 4294967296;
  };
  const buyersByShop = new Map<string, SimOrder[]>();
  /** Makes `o` an order of an earlier buyer of the shop (same buyer and address ids, same receiver), by chance. */
  const maybeRepeatBuyer = (shopId: string, o: SimOrder) => {
    const earlier = buyersByShop.get(shopId) ?? [];
    if (opts.repeatBuyerRate && earlier.length && buyerDraw() < opts.repeatBuyerRate) {
      const b = earlier[Math.floor(buyerDraw() * earlier.length)]!;
      o.buyerKey = b.buyerKey;
      o.addressKey = b.addressKey;
      o.receiver = { ...b.receiver };
      o.plain = { ...b.plain };
    }
    earlier.push(o);
    buyersByShop.set(shopId, earlier);
  };

  // Scenarios draw from a stream of their own as well (which order, which line, how much later).
  let scenarioChooser = (opts.seed ^ 0xc2b2ae35) >>> 0;
  const scenarioDraw = (): number => {
    scenarioChooser = (Math.imul(scenarioChooser, 1664525) + 1013904223) >>> 0;
    return scenarioChooser / 4294967296;
  };
  // Bad addresses too: turning them on changes no other choice.
  let addressChooser = (opts.seed ^ 0x27d4eb2f) >>> 0;
  const addressDraw = (): number => {
    addressChooser = (Math.imul(addressChooser, 1664525) + 1013904223) >>> 0;
    return addressChooser / 4294967296;
  };

  const scenariosOn = SIM_SCENARIOS.some((k) => (k === 'already_shipped' ? opts.alreadyShippedRate : k === 'refund_line' ? opts.refundLineRate : opts.lateAddressRate));
  const scenarioCounts: Record<SimScenario, { orders: number; messages: number; refundsPaid: number }> = {
    already_shipped: { orders: 0, messages: 0, refundsPaid: 0 },
    refund_line: { orders: 0, messages: 0, refundsPaid: 0 },
    late_address: { orders: 0, messages: 0, refundsPaid: 0 },
  };
  /** A follow-up message comes 0.3 to 1.5 s after the order's first ones ("shortly after payment"). */
  const laterMs = () => 300 + Math.floor(scenarioDraw() * 1200);
  const CARRIER = { taobao: 'YTO', douyin: 'yuantong', pdd: '85', jd: '463' } as const satisfies Record<SimPlatform, string>;

  const record = (key: string) => {
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  };

  /**
   * One message, with the platform's redelivery on failure: platforms retry for minutes to hours; six
   * attempts over about 15 s let a briefly overloaded Orderly catch up within a run.
   */
  const deliver = async (url: string, body: string, headers: Record<string, string>): Promise<boolean> => {
    for (let attempt = 0; attempt < 6; attempt++) {
      if (attempt > 0) {
        counters.retried++;
        await sleep(500 * 2 ** (attempt - 1));
      }
      let r: PushResult;
      try {
        r = await sim.send(url, body, headers);
      } catch {
        record('network error');
        continue;
      }
      const ok = acknowledged(r);
      record(ok || r.status !== 200 ? String(r.status) : '200 retry');
      if (ok) {
        ackMs.push(r.ms);
        return true;
      }
      // A 4xx will not get better by sending the same bytes again.
      if (r.status >= 400 && r.status < 500) return false;
    }
    return false;
  };

  const pushOrder = async (s: { shop: DriveShop; sim: SimShop }, o: SimOrder, g: GeneratedOrder) => {
    const url = `${opts.api}/webhooks/${s.shop.platform}/${s.shop.shopId}`;
    const platform = s.shop.platform;
    /** One message, redelivered now and then like the platform does; whether it was acknowledged. */
    const push = async (kind: PushKind, lineId?: string): Promise<boolean> => {
      const req = sim.pushRequest(s.sim, o, kind, undefined, lineId);
      counters.messages++;
      const ok = await deliver(url, req.body, req.headers);
      if (ok) counters.acknowledged++;
      else counters.failed++;
      if (chance(opts.duplicateRate)) {
        g.duplicated = true;
        // A redelivery is the same bytes with the same signature and message id, a little later.
        await sleep(Math.floor(Math.random() * 200));
        counters.duplicatesSent++;
        if (await deliver(url, req.body, req.headers)) counters.duplicatesAcknowledged++;
      }
      return ok;
    };
    // PDD announces an order once, when confirmed; the others say created, then paid once the buyer pays.
    const kinds: PushKind[] = platform !== 'pdd' && o.status === 'paid' && !o.presale ? ['created', 'paid'] : ['created'];
    if (g.scenario === 'already_shipped') {
      // Shipped on the platform before Orderly heard of it: the detail Orderly reads says so from the start.
      // Every carrier here is YTO (a YT waybill), in each platform's own code.
      sim.generator.shipOnPlatform(o, { carrierCode: CARRIER[platform], trackingNo: `YT${String(1e12 + Math.floor(scenarioDraw() * 9e12))}` }, new Date());
    }
    if (kinds.length === 2 && chance(opts.outOfOrderRate)) {
      kinds.reverse();
      g.outOfOrder = true;
      counters.outOfOrder++;
    }
    for (const kind of kinds) await push(kind);
    if (!g.scenario) return;
    const tally = scenarioCounts[g.scenario];
    tally.orders++;
    switch (g.scenario) {
      case 'already_shipped':
        // The shipment's own message as well, as the platform sends it.
        await push('shipped');
        tally.messages++;
        break;
      case 'refund_line': {
        const line = o.lines[Math.floor(scenarioDraw() * o.lines.length)]!;
        g.refundLineId = line.lineId;
        await sleep(laterMs());
        sim.generator.refundLine(o, line.lineId, 'requested', new Date());
        await push('refund_created', line.lineId);
        tally.messages++;
        if (pushesKind(platform, 'refund_success')) {
          await sleep(laterMs());
          sim.generator.refundLine(o, line.lineId, 'refunded', new Date());
          await push('refund_success', line.lineId);
          tally.refundsPaid++;
        }
        break;
      }
      case 'late_address':
        await sleep(laterMs());
        sim.generator.changeAddress(o, new Date());
        g.changedAddress = o.receiver.detail;
        await push('address_changed');
        tally.messages++;
        break;
    }
  };

  try {
    for (const platform of opts.platforms) shops.push(await connectShop(orderly, sim, opts, platform));
    const countNow = async () => {
      let n = 0;
      for (const s of shops) {
        const c = await orderly.countOf(s.shop.shopId).catch(() => -1);
        if (c < 0) return;
        n += c;
      }
      inOrderly = n;
    };
    const before = new Map<string, Set<string>>();
    for (const s of shops) before.set(s.shop.shopId, new Set((await orderly.ordersOf(s.shop.shopId)).map((r) => r.id)));

    if (opts.warehouse) {
      // Seed offset so the warehouse's dice are not the generator's; it runs until the wait below is over.
      warehouse = startWarehouse({
        api: opts.api,
        apiKey: opts.apiKey,
        seed: (opts.seed + 7919) >>> 0,
        delayMs: [Math.round(opts.warehouse.maxDelayMs / 10), opts.warehouse.maxDelayMs],
        failRate: opts.warehouse.failRate,
        defaultCarrier: opts.warehouse.defaultCarrier,
        pollMs: WAREHOUSE_DEFAULTS.pollMs,
      });
    }

    holdTimer = setInterval(() => {
      if (sampling) return;
      sampling = true;
      void (async () => {
        let n = 0;
        for (const s of shops) {
          const c = await orderly.countOf(s.shop.shopId, 'allocated').catch(() => -1);
          if (c < 0) return;
          n += c;
        }
        allocatedSamples.push(n);
      })().finally(() => {
        sampling = false;
      });
    }, 1000);

    const every = hooks.progressEveryMs ?? 250;
    progressTimer = setInterval(() => hooks.onProgress?.(progress()), every);
    // Counting in Orderly is a request per shop: once a second is plenty for a progress line.
    let counting = false;
    countTimer = setInterval(() => {
      if (counting) return;
      counting = true;
      void countNow().finally(() => {
        counting = false;
      });
    }, 1000);

    // Open loop: order i is due at t0 + i/rate whatever happened to earlier ones, with a cap on what is in
    // flight so that a slow Orderly slows the driver instead of piling up sockets. The duration bounds the
    // run: what a slow Orderly kept the driver from sending by then is reported as behind, not sent later.
    const total = Math.max(1, Math.round(opts.rate * opts.durationS));
    planned = total;
    const deadline = () => performance.now() - genStarted >= opts.durationS * 1000;
    const inflight = new Set<Promise<void>>();
    const MAX_INFLIGHT = 256;
    genStarted = performance.now();
    for (let i = 0; i < total; i++) {
      if (hooks.signal?.aborted) {
        stoppedEarly = true;
        break;
      }
      const wait = genStarted + (i * 1000) / opts.rate - performance.now();
      if (wait > 1) await sleep(wait);
      while (inflight.size >= MAX_INFLIGHT && !deadline()) await Promise.race([...inflight, sleep(200)]);
      if (inflight.size >= MAX_INFLIGHT || (i > 0 && deadline())) break;
      const s = shops[i % shops.length]!;
      const o = sim.createOrder(s.sim);
      maybeRepeatBuyer(s.shop.shopId, o);
      const pushed = s.shop.syncMode !== 'pull';
      const g: GeneratedOrder = { platform: s.shop.platform, shopId: s.shop.shopId, platformOrderId: o.id, orderId: `order:${s.shop.platform}:${s.shop.shopId}:${o.id}`, pushed, duplicated: false, outOfOrder: false };
      const bad = opts.badAddressRate ? chooseBadAddress(addressDraw(), opts.badAddressRate, o) : undefined;
      if (bad) {
        sim.generator.spoilAddress(o, bad);
        g.badAddress = bad;
      }
      if (pushed && scenariosOn) {
        const scenario = chooseScenario(scenarioDraw(), opts, o);
        if (scenario) g.scenario = scenario;
      }
      orders.push(g);
      if (pushed) {
        const p = pushOrder(s, o, g).finally(() => inflight.delete(p));
        inflight.add(p);
      }
    }
    await Promise.all(inflight);
    genS = (performance.now() - genStarted) / 1000;

    // Waiting: until every order of this run is listed and no longer merely `received`, or the bound.
    phase = 'waiting';
    waitStarted = performance.now();
    const wanted = new Set(orders.map((o) => o.orderId));
    let rows: OrderRow[] = [];
    for (;;) {
      rows = [];
      for (const s of shops) rows.push(...(await orderly.ordersOf(s.shop.shopId)));
      inOrderly = rows.length;
      const mine = rows.filter((r) => wanted.has(r.id));
      // With the warehouse played, an order on its way to a parcel (paid, released) or a package being
      // worked is not settled yet: wait for those too, within the same bound.
      const settled = !warehouse || (warehouse.busy() === 0 && !mine.some((r) => r.status === 'paid' || r.status === 'released'));
      if ((mine.length === wanted.size && mine.every((r) => r.status !== 'received') && settled) || performance.now() - waitStarted >= opts.waitS * 1000) break;
      if (hooks.signal?.aborted && performance.now() - waitStarted > 2000) break;
      await sleep(500);
    }
    const waitedS = (performance.now() - waitStarted) / 1000;
    clearInterval(countTimer);
    countTimer = undefined;
    clearInterval(holdTimer);
    holdTimer = undefined;

    const found = new Map(rows.filter((r) => wanted.has(r.id)).map((r) => [r.id, r]));
    const statusCounts: Record<string, number> = {};
    for (const r of found.values()) statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
    const seenBefore = new Set([...before.values()].flatMap((ids) => [...ids]));
    const alreadyThere = [...found.keys()].filter((id) => seenBefore.has(id)).length;

    const byShop: DriveReport['orderly']['byShop'] = [];
    for (const s of shops) {
      const gen = orders.filter((o) => o.shopId === s.shop.shopId);
      const entry: DriveReport['orderly']['byShop'][number] = { shopId: s.shop.shopId, platform: s.shop.platform, syncMode: s.shop.syncMode, generated: gen.length, found: gen.filter((o) => found.has(o.orderId)).length };
      if (s.shop.syncMode !== 'push') {
        const r = await orderly.request('GET', `/v1/shops/${encodeURIComponent(s.shop.shopId)}`);
        if (r.status === 200) {
          const pull = (r.json as { pull: { cursor: string | null; lastError: string | null; consecutiveFailures: number } }).pull;
          entry.pull = { cursor: pull.cursor, lastError: pull.lastError, consecutiveFailures: pull.consecutiveFailures };
        }
      }
      byShop.push(entry);
    }

    let warehouseReport: DriveReport['warehouse'];
    if (warehouse) {
      const wh = await warehouse.stop();
      const appKeys = new Set(shops.map((s) => s.sim.appKey));
      const wbs = sim.writebacks.filter((w) => appKeys.has(w.appKey));
      warehouseReport = { ...wh, ordersShipped: statusCounts.shipped ?? 0, writebacks: wbs.length, writebackOrders: new Set(wbs.map((w) => `${w.platform}:${w.platformOrderId}`)).size };
    }

    const holds = await holdFigures(orderly, [...found.values()], allocatedSamples);

    let scenarios: DriveReport['scenarios'];
    if (scenariosOn) {
      scenarios = {};
      for (const k of SIM_SCENARIOS) {
        const c = scenarioCounts[k];
        const byStatus: Record<string, number> = {};
        for (const g of orders.filter((x) => x.scenario === k)) {
          const st = found.get(g.orderId)?.status ?? 'missing';
          byStatus[st] = (byStatus[st] ?? 0) + 1;
        }
        scenarios[k] = { orders: c.orders, messages: c.messages, ...(k === 'refund_line' ? { refundsPaid: c.refundsPaid } : {}), byStatus };
      }
    }

    let badAddresses: DriveReport['badAddresses'];
    if (opts.badAddressRate) {
      const spoiled = orders.filter((g) => g.badAddress);
      badAddresses = { orders: spoiled.length, byKind: {}, byStatus: {} };
      for (const g of spoiled) {
        badAddresses.byKind[g.badAddress!] = (badAddresses.byKind[g.badAddress!] ?? 0) + 1;
        const st = found.get(g.orderId)?.status ?? 'missing';
        badAddresses.byStatus[st] = (badAddresses.byStatus[st] ?? 0) + 1;
      }
    }

    const generatedByPlatform: Partial<Record<SimPlatform, number>> = {};
    for (const o of orders) generatedByPlatform[o.platform] = (generatedByPlatform[o.platform] ?? 0) + 1;
    phase = 'done';
    hooks.onProgress?.(progress());

    return {
      options: opts,
      shops: shops.map((s) => s.shop),
      simulatorUrl: simUrl,
      startedAt: started.toISOString(),
      generatingS: genS,
      waitedS,
      stoppedEarly,
      planned,
      behind: stoppedEarly ? 0 : planned - orders.length,
      generated: orders.length,
      generatedByPlatform,
      pushes: { ...counters, byStatus, ackMsP50: pct(ackMs, 50), ackMsP99: pct(ackMs, 99) },
      orderly: {
        found: found.size,
        alreadyThere,
        byStatus: statusCounts,
        notYetRunning: statusCounts.received ?? 0,
        missing: orders.filter((o) => !found.has(o.orderId)),
        others: rows.length - found.size,
        byShop,
      },
      orders,
      holds,
      ...(scenarios ? { scenarios } : {}),
      ...(badAddresses ? { badAddresses } : {}),
      ...(warehouseReport ? { warehouse: warehouseReport } : {}),
    };
  } finally {
    await warehouse?.stop();
    if (progressTimer) clearInterval(progressTimer);
    if (countTimer) clearInterval(countTimer);
    if (holdTimer) clearInterval(holdTimer);
    // Pulls of a stopped simulator would only fail and raise alerts: pause them until the next run.
    for (const s of shops) {
      if (s.shop.syncMode === 'push') continue;
      await orderly.request('PATCH', `/v1/shops/${encodeURIComponent(s.shop.shopId)}`, { active: false }).catch(() => undefined);
    }
    await sim.stop();
  }
}

/**
 * How long orders sat in hold windows: the sampled `allocated` counts, and from each order's timeline the time
 * from `status:allocated` to `status:released` (an order released without an `allocated` entry waited 0).
 */
async function holdFigures(orderly: OrderlyClient, rows: OrderRow[], samples: number[]): Promise<HoldReport> {
  const ids = rows.filter((r) => r.status !== 'received').map((r) => r.id).slice(0, HOLD_TIMELINES_MAX);
  const waits: number[] = [];
  const held: number[] = [];
  let reachedPackage = 0;
  let stillWaiting = 0;
  let timelines = 0;
  const next = ids[Symbol.iterator]();
  const readOne = async () => {
    for (let it = next.next(); !it.done; it = next.next()) {
      const r = await orderly.request('GET', `/v1/orders/${encodeURIComponent(it.value)}`).catch(() => undefined);
      if (r?.status !== 200) continue;
      timelines++;
      const tl = (r.json as { timeline: Array<{ type: string; at: string; detail?: unknown }> }).timeline;
      const at = (type: string) => tl.find((e) => e.type === type)?.at;
      const allocated = at('status:allocated');
      const released = at('status:released');
      if (!allocated && !released) continue;
      reachedPackage++;
      if (allocated) {
        const detail = tl.find((e) => e.type === 'status:allocated')?.detail as { packages?: Array<{ windowEnd?: string }> } | undefined;
        const left = Math.max(0, ...(detail?.packages ?? []).map((p) => (p.windowEnd ? Date.parse(p.windowEnd) - Date.parse(allocated) : 0)));
        if (left > 0) held.push(left);
      }
      if (!released) {
        stillWaiting++;
        continue;
      }
      waits.push(allocated ? Math.max(0, Date.parse(released) - Date.parse(allocated)) : 0);
    }
  };
  await Promise.all(Array.from({ length: 8 }, readOne));
  return {
    samples: samples.length,
    allocatedPeak: samples.length ? Math.max(...samples) : 0,
    allocatedMean: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0,
    timelines,
    reachedPackage,
    held: held.length,
    heldMsP50: pct(held, 50),
    heldMsP99: pct(held, 99),
    waited: waits.filter((w) => w >= HOLD_WAITED_MS).length,
    stillWaiting,
    waitMsP50: pct(waits, 50),
    waitMsP99: pct(waits, 99),
  };
}

// Output ---------------------------------------------------------------------------------------------------

const counts = (m: Record<string, number>): string =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** One progress line: a bar over the generation, then over the bounded wait. */
export function formatProgress(p: DriveProgress, width = 24): string {
  const frac = p.phase === 'generating' ? Math.min(1, p.elapsedS / p.durationS) : p.phase === 'waiting' ? Math.min(1, p.waitedS / Math.max(p.waitS, 0.001)) : 1;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const clock = p.phase === 'generating' ? `${p.elapsedS.toFixed(0)}/${p.durationS}s` : p.phase === 'waiting' ? `waiting ${p.waitedS.toFixed(0)}/${p.waitS}s` : 'done';
  const orderly = p.inOrderly < 0 ? '?' : String(p.inOrderly);
  return `${bar} ${clock}  generated ${p.generated}  acked ${p.acknowledged}  failed ${p.failed}  dup ${p.duplicatesSent}  in Orderly ${orderly}`;
}

export function formatReport(r: DriveReport): string {
  const o = r.options;
  const lines: string[] = [];
  const pad = (s: string) => s.padEnd(18);
  lines.push(`Simulator ${r.simulatorUrl}, Orderly ${o.api}, seed ${o.seed} (repeat with --seed ${o.seed})`);
  lines.push(`${pad('Shops')}${r.shops.map((s) => `${s.shopId} (${s.platform}, ${s.syncMode}, ${s.reused ? 'reused' : 'created'})`).join(', ')}`);
  lines.push(`${pad('Generated')}${r.generated} orders in ${r.generatingS.toFixed(1)} s (${counts(r.generatedByPlatform)})${r.stoppedEarly ? ', stopped early (Ctrl-C)' : ''}`);
  if (r.behind) lines.push(`${pad('  behind')}${r.behind} of ${r.planned} planned orders not sent: Orderly answered too slowly to keep up with ${o.rate}/s`);
  const p = r.pushes;
  if (p.messages) {
    const lat = p.ackMsP50 !== null ? `; ack p50 ${p.ackMsP50.toFixed(1)} ms, p99 ${(p.ackMsP99 ?? 0).toFixed(1)} ms` : '';
    lines.push(`${pad('Pushes')}${p.messages} messages: ${p.acknowledged} acknowledged, ${p.failed} failed; ${p.retried} retries${lat}`);
    lines.push(`${pad('  answers (HTTP)')}${counts(p.byStatus)}`);
    lines.push(`${pad('  duplicates sent')}${p.duplicatesSent} (same message id and signature again), ${p.duplicatesAcknowledged} acknowledged`);
    lines.push(`${pad('  out of order')}${p.outOfOrder} orders pushed "paid" before "created"`);
  }
  const ob = r.orderly;
  lines.push(`${pad('In Orderly')}${ob.found}/${r.generated} of this run's orders after waiting ${r.waitedS.toFixed(1)} s (bound ${o.waitS} s)`);
  for (const s of ob.byShop) {
    const pull = s.pull ? `; pull cursor ${s.pull.cursor ?? 'none'}${s.pull.consecutiveFailures ? `, ${s.pull.consecutiveFailures} failing runs: ${s.pull.lastError ?? ''}` : ''}` : '';
    lines.push(`${pad(`  ${s.shopId}`)}${s.found}/${s.generated} (${s.syncMode})${pull}`);
  }
  lines.push(`${pad('  by status')}${counts(ob.byStatus)}`);
  if (ob.notYetRunning) lines.push(`${pad('  not yet running')}${ob.notYetRunning} stored but still "received" (no workflow has taken them yet)`);
  if (ob.alreadyThere) lines.push(`${pad('  already there')}${ob.alreadyThere} were in Orderly before this run (an earlier run with seed ${o.seed}): they prove nothing about this one`);
  if (ob.others) lines.push(`${pad('  other orders')}${ob.others} orders of these shops from earlier runs`);
  if (ob.missing.length) {
    lines.push(`${pad('Missing')}${ob.missing.length}${ob.missing.length > 20 ? ' (first 20)' : ''}:`);
    for (const m of ob.missing.slice(0, 20)) lines.push(`  ${m.platform} ${m.platformOrderId} (${m.pushed ? 'pushed' : 'to be pulled'}) -> ${m.orderId}`);
  } else {
    lines.push(`${pad('Missing')}none`);
  }
  const h = r.holds;
  const waitMs = (v: number | null) => (v === null ? 'n/a' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);
  lines.push(
    `${pad('Hold windows')}${h.reachedPackage} of ${h.timelines} orders reached a package: ${h.held} into a held package (window left when allocated p50 ${waitMs(h.heldMsP50)}, p99 ${waitMs(h.heldMsP99)}), ${h.stillWaiting} still waiting at the end`,
  );
  lines.push(`${pad('  until released')}allocated -> released p50 ${waitMs(h.waitMsP50)}, p99 ${waitMs(h.waitMsP99)}; ${h.waited} took ${HOLD_WAITED_MS / 1000} s or more (hold plus release work)`);
  lines.push(`${pad('  allocated (1/s)')}GET /v1/orders?status=allocated sampled: peak ${h.allocatedPeak}, mean ${h.allocatedMean.toFixed(1)} over ${h.samples} samples (1/s)`);
  if (o.repeatBuyerRate) lines.push(`${pad('  repeat buyers')}${(o.repeatBuyerRate * 100).toFixed(0)}% of orders from a buyer who already ordered in this run`);
  if (r.scenarios) {
    const what: Record<SimScenario, string> = { already_shipped: 'already shipped on the platform', refund_line: 'one line refunded', late_address: 'address changed later' };
    const sent: Record<SimScenario, (s: ScenarioReport) => string> = {
      already_shipped: (s) => `${s.messages} shipped messages`,
      refund_line: (s) => `${s.messages} refund requests, ${s.refundsPaid ?? 0} refunds paid out`,
      late_address: (s) => `${s.messages} address changes`,
    };
    lines.push(`${pad('Scenarios')}orders sent per scenario, and the status each ended in`);
    for (const k of SIM_SCENARIOS) {
      const sc = r.scenarios[k];
      if (!sc) continue;
      lines.push(`${pad(`  ${k.replace('_', '-')}`)}${sc.orders} orders ${what[k]} (${sent[k](sc)}); ended: ${counts(sc.byStatus)}`);
    }
  }
  if (r.badAddresses) {
    const b = r.badAddresses;
    lines.push(`${pad('Bad addresses')}${b.orders} orders (${counts(b.byKind)}); ended: ${counts(b.byStatus)}`);
  }
  if (r.warehouse) {
    const w = r.warehouse;
    const errs = Object.keys(w.errors).length ? `; refused ${counts(w.errors)}` : '';
    const again = w.retried || w.undelivered.length ? `; ${w.retried} reports sent again, ${w.undelivered.length} given up (packages left for a person)` : '';
    lines.push(`${pad('Warehouse')}${w.seen} released packages taken: ${w.picked} picked, ${w.shipped} shipped, ${w.failed} failed${errs}${again}`);
    lines.push(`${pad('  orders shipped')}${w.ordersShipped} of this run's orders reached "shipped"`);
    lines.push(`${pad('  write-backs')}${w.writebacks} recorded by the simulated platforms (${w.writebackOrders} orders)`);
  }
  const pulled = r.shops.filter((s) => s.syncMode !== 'push');
  if (pulled.length) lines.push(`Pulls of ${pulled.map((s) => s.shopId).join(', ')} are paused (shop inactive) now that the simulator has stopped; the next run turns them on again.`);
  return lines.join('\n');
}
