import { EntityManager } from 'typeorm';
import { Payment } from './entities/payment.entity.js';

/** The reference an erased payment keeps: unique (the payment id), so UQ_payments_reference still holds. */
export const erasedPaymentReference = (paymentId: string): string => `erased:${paymentId}`;

/** The free-text fields of a member's payments that erasure removes. */
export interface PaymentTexts {
  id: string;
  reference: string;
  note: string | null;
  rejectionReason: string | null;
}

/** The payments of a member and of its applications, locked for the erasure's transaction. */
export async function paymentTextsOf(
  manager: EntityManager,
  memberId: string,
  applicationIds: readonly string[],
): Promise<PaymentTexts[]> {
  const rows = await manager
    .createQueryBuilder(Payment, 'p')
    .setLock('pessimistic_write')
    .where('p.member_id = :memberId', { memberId })
    .orWhere('p.application_id = ANY(:applicationIds::uuid[])', {
      applicationIds: [...applicationIds],
    })
    .getMany();
  return rows.map((p) => ({
    id: p.id,
    reference: p.reference,
    note: p.note,
    rejectionReason: p.rejectionReason,
  }));
}

/**
 * POPIA erasure (libs/privacy), inside its transaction: the reference becomes `erased:<id>`, the note goes, the
 * rejection reason is scrubbed of the member's personal values. Amount, method, status, dates and area stay,
 * so the finance totals still count the payments.
 */
export async function erasePaymentTexts(
  manager: EntityManager,
  payments: readonly PaymentTexts[],
  scrub: (text: string) => string,
): Promise<void> {
  for (const p of payments) {
    await manager.update(Payment, p.id, {
      reference: erasedPaymentReference(p.id),
      note: null,
      rejectionReason: p.rejectionReason === null ? null : scrub(p.rejectionReason),
    });
  }
}
