import type { Logger } from '../config/logger.js';
import type { Db } from '../db/database.js';
import { notifyFast } from '../db/inbox.repository.js';

/** The channel inbox relays LISTEN on. */
export const INBOX_CHANNEL = 'orderly_inbox';

export interface InboxNotifier {
  /** Wakes the relays soon; calls while one wake-up is on its way fold into one more after it. */
  notify(): void;
}

/**
 * Wakes the inbox relays after rows were stored. Sent after the rows' own commit, not from it: PostgreSQL
 * serialises the commits of transactions that notify, and the push path must keep its group commits. One
 * notification at a time, and durability is not wanted for it (a lost one only means the relay's next poll).
 */
export function createInboxNotifier(db: Db, logger: Logger): InboxNotifier {
  let inFlight = false;
  let again = false;
  const send = () => {
    inFlight = true;
    again = false;
    notifyFast(db, INBOX_CHANNEL)
      .catch((e: unknown) => logger.debug({ err: e instanceof Error ? e.message : String(e) }, 'inbox notification not sent; the relay polls'))
      .finally(() => {
        inFlight = false;
        if (again) send();
      });
  };
  return {
    notify() {
      if (inFlight) again = true;
      else send();
    },
  };
}
