import { HttpStatus, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '@app/auth';
import { AppException, ErrorCode } from '@app/core';
import { ApplicationsService, MembershipApplication } from '@app/members';
import type { ApplicationDto } from '@app/members';
import { Payment, PaymentStatus } from '../entities/payment.entity.js';

/**
 * Two-tier application approval, first tier: a finance officer (or a national admin;
 * applications:financial_review) confirms the application's joining fee is verified. The reviewer must not have recorded the payment (separation of duties;
 * the final approver must differ from the reviewer, checked by ApplicationsService.approve).
 */
@Injectable()
export class FinancialReviewService {
  constructor(private readonly applications: ApplicationsService) {}

  review(actor: AuthUser, applicationId: string): Promise<ApplicationDto> {
    return this.applications.financialReview(actor, applicationId, (manager, application) =>
      this.verifiedJoiningFee(manager, actor, application),
    );
  }

  /** The verified joining-fee payment the review confirms: the earliest one someone else recorded. */
  private async verifiedJoiningFee(
    manager: EntityManager,
    actor: AuthUser,
    application: MembershipApplication,
  ): Promise<string> {
    const verified = await manager.find(Payment, {
      select: { id: true, recordedBy: true },
      where: { applicationId: application.id, status: PaymentStatus.Verified },
      order: { decidedAt: 'ASC', id: 'ASC' },
    });
    if (verified.length === 0)
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.JoiningFeeNotVerified,
        'The application has no verified joining-fee payment: record it (POST /payments) and have another user verify it first',
        undefined,
        { currentStatus: application.status, action: 'financial_review' },
      );
    const other = verified.find((p) => p.recordedBy !== actor.id);
    if (!other)
      throw AppException.forbidden(
        'Separation of duties: the financial review must be given by someone other than the user who recorded the joining fee',
      );
    return other.id;
  }
}
