import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

/**
 * Test setup for specs that exercise the final approval, not the first tier: gives the application a verified
 * joining-fee payment and puts it in `financial_review`, as if recorded, verified and reviewed by other users
 * (`reviewerId`, default a user who does not exist, so any real user may give the final approval). The first tier
 * itself is tested through the API in applications-two-tier.e2e-spec.ts.
 */
export async function financiallyReviewed(
  pool: Pool,
  applicationId: string,
  reviewerId: string = randomUUID(),
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO payments (application_id, method, provider, reference, amount_cents, paid_on, status,
       recorded_by, decided_by, decided_via, decided_at, ward_code, municipality_code, district_code, province_code)
     SELECT a.id, 'cash', 'cash', $2, 1000, current_date, 'verified', gen_random_uuid(), gen_random_uuid(), 'user',
       now(), a.ward_code, a.municipality_code, a.district_code, a.province_code
     FROM membership_applications a WHERE a.id = $1
     RETURNING id`,
    [applicationId, `FR-${randomBytes(8).toString('hex')}`],
  );
  const paymentId = rows[0]?.id;
  if (!paymentId) throw new Error(`no application ${applicationId}`);
  await pool.query(
    `UPDATE membership_applications SET status = 'financial_review', financial_reviewed_by = $2,
       financial_reviewed_at = now(), financial_review_payment_id = $3 WHERE id = $1`,
    [applicationId, reviewerId, paymentId],
  );
  return paymentId;
}
