import { ScopedSql } from '@app/auth';
import { whileHoldingClusterLock } from '@app/core';
import type { EntityManager } from 'typeorm';
import { renderSql } from '../campaigns/audience-sql.js';
import { withEmailOptOut, withOptOut } from '../templates/template-text.js';

/** Advisory-lock key (two-key form) of the daily reminder run: one process at a time across the cluster. */
export const REMINDER_LOCK_NAMESPACE = 7350;
export const REMINDER_LOCK_KEY = 1;

export type ReminderWindow = 'expiry_30_days' | 'expiry_7_days' | 'grace_7_days';

interface WindowRule {
  /** Which members: status and expiry date relative to today ($today). */
  condition: string;
  subject: string;
  text: string;
}

/**
 * The three reminder windows. A member enters a window when the daily run sees them in it; a run that was
 * missed catches up the next day (ranges, not exact days). 30 days: expiring in 8-30 days; 7 days: expiring in
 * 0-7 days; grace: expired at least 7 days ago and still in the grace period.
 */
export const REMINDER_WINDOWS: Record<ReminderWindow, WindowRule> = {
  expiry_30_days: {
    condition:
      "m.status = 'active' AND m.expires_on BETWEEN $today::date + 8 AND $today::date + 30",
    subject: 'Your EFF membership expires on {{expiryDate}}',
    text: 'Hi {{firstName}}, your EFF membership {{membershipNumber}} expires on {{expiryDate}}. Renew at your branch to stay in good standing.',
  },
  expiry_7_days: {
    condition: "m.status = 'active' AND m.expires_on BETWEEN $today::date AND $today::date + 7",
    subject: 'Your EFF membership expires in a week',
    text: 'Hi {{firstName}}, your EFF membership {{membershipNumber}} expires on {{expiryDate}}, in 7 days or less. Renew now to keep it active.',
  },
  grace_7_days: {
    condition: "m.status = 'grace_period' AND m.expires_on <= $today::date - 7",
    subject: 'Your EFF membership has expired',
    text: 'Hi {{firstName}}, your EFF membership {{membershipNumber}} expired on {{expiryDate}}. Renew during the grace period to keep your membership.',
  },
};

export interface ReminderRunResult {
  ran: boolean;
  asOf: string;
  queued: Record<ReminderWindow, number>;
  purgedBodies: number;
}

/**
 * Queues the reminders of every window as of `today` (one INSERT … SELECT per window, each message keyed
 * reminder:<window>:<expiresOn>:<member> so a member gets each window's reminder once per expiry date, however
 * often this runs). SMS when the member has a cell number (with the opt-out text), else email (with the email opt-out text and link). Members who
 * objected to being contacted, and erased members, are never included.
 */
export async function queueRenewalReminders(
  manager: EntityManager,
  today: string,
  optOutText: string,
  emailOptOutText: string,
): Promise<Record<ReminderWindow, number>> {
  const queued = {} as Record<ReminderWindow, number>;
  for (const [window, rule] of Object.entries(REMINDER_WINDOWS) as [ReminderWindow, WindowRule][]) {
    const sql = new ScopedSql();
    const todayParam = sql.param(today);
    const smsBody = renderSql(sql, withOptOut(rule.text, optOutText));
    const emailBody = renderSql(sql, withEmailOptOut(rule.text, emailOptOutText));
    const subject = renderSql(sql, rule.subject);
    const windowParam = sql.param(window);
    const hasCell = "(m.cell_number IS NOT NULL AND m.cell_number <> '')";
    const rows = await manager.query<{ n: number }[]>(
      `WITH queued AS (
         INSERT INTO messaging_outbox (channel, kind, recipient, subject, body, recipient_member_id,
                                       province_code, district_code, municipality_code, ward_code,
                                       idempotency_key)
         SELECT CASE WHEN ${hasCell} THEN 'sms' ELSE 'email' END, 'renewal_reminder',
                CASE WHEN ${hasCell} THEN m.cell_number ELSE m.email END,
                CASE WHEN ${hasCell} THEN NULL ELSE ${subject} END,
                CASE WHEN ${hasCell} THEN ${smsBody} ELSE ${emailBody} END,
                m.id, m.province_code, m.district_code, m.municipality_code, m.ward_code,
                'reminder:' || ${windowParam} || ':' || m.expires_on || ':' || m.id
           FROM members m
          WHERE ${rule.condition.replaceAll('$today', todayParam)}
            AND m.contact_objected_at IS NULL AND m.anonymised_at IS NULL
            AND (${hasCell} OR (m.email IS NOT NULL AND m.email <> ''))
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS n FROM queued`,
      sql.values,
    );
    queued[window] = rows[0]?.n ?? 0;
  }
  return queued;
}

/**
 * The retention rule of the outbox: the subject and body of a message that finished (sent, delivered or failed)
 * more than `days` days ago are blanked; the row stays (channel, kind, recipient, status, dates) as the record
 * of what was sent to whom. Returns how many bodies were purged.
 */
export async function purgeOldBodies(manager: EntityManager, days: number): Promise<number> {
  const rows = await manager.query<{ n: number }[]>(
    `WITH purged AS (
       UPDATE messaging_outbox SET body = '', subject = NULL, body_purged_at = now(), updated_at = now()
        WHERE body_purged_at IS NULL AND status IN ('sent', 'delivered', 'failed')
          AND created_at < now() - make_interval(days => $1)
       RETURNING 1)
     SELECT count(*)::int AS n FROM purged`,
    [days],
  );
  return rows[0]?.n ?? 0;
}

/**
 * The daily run under the cluster-wide advisory lock: reminders, then the retention purge. `record` audits the
 * outcome (AuditService.record in the API; the CLI passes its own writer of the same event).
 */
export async function runDailyMessaging(
  runner: { query: EntityManager['query']; manager: EntityManager },
  options: { today: string; optOutText: string; emailOptOutText: string; retentionDays: number },
): Promise<ReminderRunResult> {
  const outcome = await whileHoldingClusterLock(
    runner,
    [REMINDER_LOCK_NAMESPACE, REMINDER_LOCK_KEY],
    async () => {
      const queued = await runner.manager.transaction((manager) =>
        queueRenewalReminders(manager, options.today, options.optOutText, options.emailOptOutText),
      );
      const purgedBodies = await purgeOldBodies(runner.manager, options.retentionDays);
      return { queued, purgedBodies };
    },
  );
  if (!outcome.ran) {
    const none = { expiry_30_days: 0, expiry_7_days: 0, grace_7_days: 0 };
    return { ran: false, asOf: options.today, queued: none, purgedBodies: 0 };
  }
  return { ran: true, asOf: options.today, ...outcome.value };
}
