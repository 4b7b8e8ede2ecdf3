import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { workflowNow } from './clock.js';
import {
  packageInterceptSignal,
  packageJoinSignal,
  packageLeaveSignal,
  packageStateQuery,
  UNKNOWN_PACKAGE_FAILURE,
  warehouseEventSignal,
  type PackageState,
  type PackageStatus,
  type PackageWorkflowInput,
  type WarehouseEvent,
} from './package.messages.js';
import { packageUpdateSignal, type PackageUpdate } from './order.messages.js';
import { formatInstant } from './order.details.js';
import { CarrierKey, PackageStatusKey, TrackingNoKey } from './search-attributes.js';

const PACKAGE_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const { sealPackage } = proxyActivities<Activities>({ ...PACKAGE_OPTIONS, summary: 'seal: the members in the database now are final' });
const { releasePackage } = proxyActivities<Activities>({ ...PACKAGE_OPTIONS, summary: 'release to the warehouse with the carrier for the parcel' });
const { recordWarehouseEvent } = proxyActivities<Activities>({ ...PACKAGE_OPTIONS, summary: 'record what the warehouse reported' });

/**
 * Runs recorded before packages kept their search attributes (`PackageStatus`, `Carrier`, `TrackingNo`) up to
 * date: those upserts are commands of their own, so they are made only by runs that asked this patch at their
 * start (a package's first upsert would otherwise meet a recorded activity or completion on replay).
 */
const SEARCH_ATTRIBUTES_PATCH = 'package-search-attributes';

/**
 * One parcel, `package:<id>`. Member orders join it (signal-with-start from their `joinPackage` activity)
 * while its hold window is open; at the window's end it is sealed (the database's member list at that
 * instant is final), released to the warehouse, and every warehouse event (picked, shipped with carrier and
 * tracking number, failed) is passed on to every member order.
 */
export async function packageWorkflow(input: PackageWorkflowInput): Promise<{ packageId: string; status: PackageStatus }> {
  const tags = patched(SEARCH_ATTRIBUTES_PATCH);
  let status: PackageStatus = 'open';
  const joined: string[] = [];
  let members: string[] = [];
  const interceptRequestedBy: string[] = [];
  const seenEvents = new Set<string>();
  const inbox: WarehouseEvent[] = [];
  const events: PackageState['events'] = [];
  let carrierCode: string | undefined;
  let trackingNo: string | undefined;
  let failureReason: string | undefined;
  let carrierDecision: PackageState['carrierDecision'] = undefined;

  const record = (type: string, detail?: Record<string, unknown>): void => void events.push({ type, at: workflowNow().toISOString(), ...(detail ? { detail } : {}) });
  let shown = '';
  /** The UI's current details: where the parcel is, its orders, carrier and tracking number; set when they change. */
  const show = () => {
    const orders = members.length ? members : joined;
    const lines = [
      `**${status}**${carrierCode ? ` · ${carrierCode}${trackingNo ? ` ${trackingNo}` : ''}` : ''}`,
      '',
      `- orders (${orders.length}): ${orders.slice(0, 10).map((o) => `\`${o}\``).join(', ')}${orders.length > 10 ? ` and ${orders.length - 10} more` : ''}`,
      ...(status === 'open' ? [`- waiting for more orders of the buyer until ${formatInstant(input.windowEnd)} (hold window), then sealed and released`] : []),
      ...(status === 'released' || status === 'picked' ? ['- waiting for the warehouse: picked, shipped with a tracking number, or failed'] : []),
      ...(interceptRequestedBy.length && status !== 'intercepted' && status !== 'shipped' ? [`- interception asked for by ${interceptRequestedBy.map((o) => `\`${o}\``).join(', ')}: waiting for the warehouse's answer`] : []),
      ...(failureReason ? [`- failed: ${failureReason}`] : []),
    ];
    const text = lines.join('\n');
    if (text === shown) return;
    shown = text;
    setCurrentDetails(text);
  };
  let tagged = 'open||';
  /** Keeps `PackageStatus`, `Carrier` and `TrackingNo` as they are now (one upsert per change). */
  const tag = () => {
    if (!tags) return;
    const now = [status, carrierCode ?? '', trackingNo ?? ''].join('|');
    if (now === tagged) return;
    tagged = now;
    upsertSearchAttributes([
      { key: PackageStatusKey, value: status },
      ...(carrierCode ? [{ key: CarrierKey, value: carrierCode }] : []),
      ...(trackingNo ? [{ key: TrackingNoKey, value: trackingNo }] : []),
    ]);
  };
  /** Both, as each step of the parcel changes it. */
  const changed = () => {
    tag();
    show();
  };

  setHandler(packageJoinSignal, (j) => {
    if (!joined.includes(j.orderId)) joined.push(j.orderId);
    record('joined', { orderId: j.orderId, packageKey: j.packageKey });
    show();
  });
  setHandler(packageLeaveSignal, ({ orderId }) => record('left', { orderId }));
  setHandler(packageInterceptSignal, ({ orderId, reason }) => {
    if (!interceptRequestedBy.includes(orderId)) interceptRequestedBy.push(orderId);
    record('intercept_requested', { orderId, reason });
    show();
  });
  setHandler(warehouseEventSignal, (e) => {
    if (seenEvents.has(e.eventId)) return;
    seenEvents.add(e.eventId);
    inbox.push(e);
  });
  setHandler(packageStateQuery, (): PackageState => ({
    packageId: input.packageId,
    status,
    windowEnd: input.windowEnd,
    joined: [...joined],
    members: [...members],
    interceptRequestedBy: [...interceptRequestedBy],
    ...(carrierCode ? { carrierCode } : {}),
    ...(trackingNo ? { trackingNo } : {}),
    ...(failureReason ? { failureReason } : {}),
    ...(carrierDecision ? { carrierDecision } : {}),
    events: [...events],
  }));

  const tell = async (update: PackageUpdate) => {
    await Promise.all(
      members.map(async (orderId) => {
        try {
          await getExternalWorkflowHandle(orderId).signal(packageUpdateSignal, update);
        } catch (err) {
          // An order that has already finished (cancelled, closed) no longer listens; the package still ships.
          log.warn('member order did not take the package update', { orderId, packageId: input.packageId, type: update.type, error: String(err) });
        }
      }),
    );
  };
  /*
   * A package the database does not hold cannot be sealed, released or tracked, and its activities fail at
   * once (UNKNOWN_PACKAGE_FAILURE). Members already known hear that it failed (their orders go on hold for
   * a person); the workflow then fails with the same type. Before that failure existed those activities were
   * retried without end, so no history holds a failed package activity and no patch is needed.
   */
  const known = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (e) {
      if (!(e instanceof ActivityFailure && e.cause instanceof ApplicationFailure && e.cause.type === UNKNOWN_PACKAGE_FAILURE)) throw e;
      const reason = `package ${input.packageId} does not exist in the database`;
      status = 'failed';
      failureReason = reason;
      record('failed', { reason });
      changed();
      await tell({ packageId: input.packageId, type: 'failed', reason, at: workflowNow().toISOString() });
      throw ApplicationFailure.create({ message: reason, type: UNKNOWN_PACKAGE_FAILURE, nonRetryable: true, cause: e });
    }
  };
  const finish = async () => {
    changed();
    await condition(allHandlersFinished);
    return { packageId: input.packageId, status };
  };
  show();

  // 1. Hold window: more orders of the same buyer and address may join.
  const waitMs = Date.parse(input.windowEnd) - workflowNow().getTime();
  if (waitMs > 0) await sleep(waitMs, { summary: `hold window: more orders of the buyer may join until ${formatInstant(input.windowEnd)}` });

  // 2. Seal: the members are whoever is in the database now; a later arrival opens a new package.
  const sealed = await known(sealPackage({ packageId: input.packageId }));
  members = sealed.members.filter((m) => m.status !== 'left').map((m) => m.orderId);
  members = members.filter((id, i) => members.indexOf(id) === i);
  if (sealed.status === 'cancelled' || members.length === 0) {
    status = 'cancelled';
    record('cancelled', { reason: 'every member left before sealing' });
    return finish();
  }
  status = 'sealed';
  record('sealed', { members });
  // Shown, not upserted: sealed lasts as long as the release activity, and released follows (one write less).
  show();

  // 3. Release to the warehouse with the carrier for the merged parcel.
  const released = await known(releasePackage({ packageId: input.packageId }));
  carrierCode = released.carrierCode ?? undefined;
  carrierDecision = released.decision;
  status = 'released';
  record('released', { carrierCode: released.carrierCode });
  changed();
  await tell({ packageId: input.packageId, type: 'released', carrierCode: released.carrierCode, memberOrderIds: [...members] });

  // 4. Warehouse events until the parcel has shipped or failed.
  for (;;) {
    await condition(() => inbox.length > 0);
    const e = inbox.shift()!;
    const at = e.at ?? workflowNow().toISOString();
    const { applied } = await known(recordWarehouseEvent({ packageId: input.packageId, event: e }));
    if (e.type === 'picked') {
      if (status !== 'released') continue;
      status = 'picked';
      record('picked');
      changed();
      await tell({ packageId: input.packageId, type: 'picked', at });
      continue;
    }
    if (e.type === 'shipped') {
      status = 'shipped';
      carrierCode = e.carrierCode;
      trackingNo = e.trackingNo;
      record('shipped', { carrierCode, trackingNo, applied });
      changed();
      await tell({ packageId: input.packageId, type: 'shipped', carrierCode: e.carrierCode, trackingNo: e.trackingNo, at });
      return finish();
    }
    if (e.type === 'intercepted') {
      // Back in stock: each member order gives back what it reserved for the parcel.
      status = 'intercepted';
      record('intercepted', { requestedBy: [...interceptRequestedBy] });
      changed();
      await tell({ packageId: input.packageId, type: 'intercepted', at });
      return finish();
    }
    if (e.type === 'intercept_failed') {
      // It ships anyway; the `shipped` event that follows ends the package.
      const reason = e.reason ?? 'the warehouse could not stop the parcel';
      record('intercept_failed', { reason });
      await tell({ packageId: input.packageId, type: 'intercept_failed', reason, at });
      continue;
    }
    status = 'failed';
    failureReason = e.reason;
    record('failed', { reason: e.reason });
    await tell({ packageId: input.packageId, type: 'failed', reason: e.reason, at });
    return finish();
  }
}
