import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DataSource, EntityManager, In } from 'typeorm';
import { AccessResource, AccessService } from '@app/auth';
import type { AuthUser, ScopedActor } from '@app/auth';
import { AppException, AuditService, ErrorCode } from '@app/core';
import { DocumentMediaType, DocumentStore, StoredDocument } from '@app/files';
import type { UploadedDocument } from '@app/files';
import { MemberLifecycleService, MembersService } from '@app/members';
import { Payment, PaymentStatus } from '../entities/payment.entity.js';
import { PaymentReceipt } from './payment-receipt.entity.js';
import { ReceiptDto } from './receipt.dto.js';

/** What a receipt may be, judged by its bytes. */
export const RECEIPT_TYPES: readonly DocumentMediaType[] = [
  DocumentMediaType.Pdf,
  DocumentMediaType.Jpeg,
  DocumentMediaType.Png,
];

function toReceiptDto(r: PaymentReceipt, d: StoredDocument): ReceiptDto {
  return {
    paymentId: r.paymentId,
    documentId: d.id,
    sha256: d.sha256,
    sizeBytes: d.sizeBytes,
    mediaType: d.mediaType,
    fileName: d.originalName,
    attachedBy: r.attachedBy,
    attachedAt: r.attachedAt,
  };
}

/** What the erasure of a member did to receipts, and the file deletion to run once it has committed. */
export interface ReceiptErasure {
  receipts: number;
  afterCommit(): Promise<void>;
}

/**
 * Payment receipts: one file per payment (PDF/JPEG/PNG) in the shared document store. Attached (or replaced)
 * while the payment is pending, by a user with payments:record whose scope covers the payment (403) and its
 * member (404); downloaded by users with payments:read whose scope covers both (404 outside). Audited, in the
 * member's history and data export (metadata only), erased with the member.
 */
@Injectable()
export class PaymentReceiptsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly members: MembersService,
    private readonly lifecycle: MemberLifecycleService,
    private readonly audit: AuditService,
    private readonly documents: DocumentStore,
  ) {}

  async attach(
    actor: AuthUser,
    paymentId: string,
    upload: UploadedDocument | undefined,
  ): Promise<ReceiptDto> {
    return this.documents.transaction(async (manager, files) => {
      const payment = await this.paymentInScope(actor, paymentId, 'write', manager);
      if (payment.status !== PaymentStatus.Pending) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.InvalidStatusTransition,
          `A receipt is attached while the payment is pending; this one is ${payment.status}`,
          undefined,
          { currentStatus: payment.status, action: 'attach_receipt' },
        );
      }
      const checked = this.documents.check(upload, RECEIPT_TYPES);
      const previous = await manager.findOneBy(PaymentReceipt, { paymentId });
      const replaced = previous ? await this.documents.get(previous.documentId, manager) : null;
      if (previous) {
        await manager.delete(PaymentReceipt, { paymentId });
        await files.remove(manager, [previous.documentId]);
      }
      const document = await files.save(manager, checked, actor.id);
      const receipt = await manager.save(
        manager.create(PaymentReceipt, {
          paymentId,
          documentId: document.id,
          attachedBy: actor.id,
        }),
      );
      const details = {
        event: 'receipt_attached',
        paymentId,
        documentId: document.id,
        sha256: document.sha256,
        sizeBytes: document.sizeBytes,
        mediaType: document.mediaType,
        ...(replaced ? { replacedSha256: replaced.sha256 } : {}),
      };
      await this.audit.record(
        {
          action: 'payment.receipt_attached',
          entityType: 'payment',
          entityId: paymentId,
          provinceCode: payment.provinceCode,
          changes: details,
          actorUserId: actor.id,
        },
        manager,
      );
      if (payment.memberId)
        await this.lifecycle.recordPaymentHistory(manager, payment.memberId, actor.id, details);
      return toReceiptDto(receipt, document);
    });
  }

  async download(actor: AuthUser, paymentId: string, req: Request, res: Response): Promise<void> {
    const payment = await this.paymentInScope(actor, paymentId, 'read', this.dataSource.manager);
    const receipt = await this.dataSource.manager.findOneBy(PaymentReceipt, { paymentId });
    const document = receipt ? await this.documents.get(receipt.documentId) : null;
    if (!receipt || !document) throw AppException.notFound(`The receipt of payment ${paymentId}`);
    await this.audit.record({
      action: 'payment.receipt_downloaded',
      entityType: 'payment',
      entityId: paymentId,
      provinceCode: payment.provinceCode,
      changes: { documentId: document.id, sha256: document.sha256 },
      actorUserId: actor.id,
    });
    await this.documents.send(document, req, res);
  }

  /** The receipts (metadata, never bytes) of the given payments: the POPIA data export. */
  async ofPayments(paymentIds: readonly string[], manager?: EntityManager): Promise<ReceiptDto[]> {
    if (paymentIds.length === 0) return [];
    const rows = await (manager ?? this.dataSource.manager)
      .createQueryBuilder(PaymentReceipt, 'r')
      .innerJoinAndSelect('r.document', 'd')
      .where('r.payment_id = ANY(:ids::uuid[])', { ids: [...paymentIds] })
      .orderBy('r.attached_at', 'ASC')
      .addOrderBy('r.payment_id', 'ASC')
      .getMany();
    return rows.map((r) => toReceiptDto(r, r.document!));
  }

  /**
   * Erasure of a member (libs/privacy), inside its transaction: deletes the receipt rows and documents of the
   * member's payments and of its applications'; the files go once the caller's transaction has committed.
   */
  async eraseInTransaction(
    manager: EntityManager,
    memberId: string,
    applicationIds: readonly string[],
  ): Promise<ReceiptErasure> {
    const receipts: { payment_id: string; document_id: string }[] = await manager.query(
      `SELECT r.payment_id, r.document_id FROM payment_receipts r JOIN payments p ON p.id = r.payment_id
        WHERE p.member_id = $1 OR p.application_id = ANY($2::uuid[])
        FOR UPDATE OF r`,
      [memberId, [...applicationIds]],
    );
    const files = this.documents.begin();
    if (receipts.length > 0) {
      await manager.delete(PaymentReceipt, { paymentId: In(receipts.map((r) => r.payment_id)) });
      await files.remove(
        manager,
        receipts.map((r) => r.document_id),
      );
    }
    return { receipts: receipts.length, afterCommit: () => files.committed() };
  }

  /**
   * The payment if the actor's scope covers it (read outside: 404; write outside: 403, the payments rule) and,
   * for a member's payment, the member as well (404): receipts are served only inside the member's area.
   */
  private async paymentInScope(
    actor: ScopedActor,
    id: string,
    mode: 'read' | 'write',
    manager: EntityManager,
  ): Promise<Payment> {
    await this.access.require(actor, AccessResource.Payment, mode, [id], {
      manager,
      lock: mode === 'write',
    });
    const payment = await manager.findOneByOrFail(Payment, { id });
    if (payment.memberId) await this.members.findInScope(actor, payment.memberId, { manager });
    return payment;
  }
}
