import { Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiErrorCodes, ApiProblems, ErrorCode, UuidParam } from '@app/core';
import { ApplicationDto } from '@app/members';
import { FinancialReviewService } from './financial-review.service.js';

@ApiTags('applications')
@Controller('applications')
export class FinancialReviewController {
  constructor(private readonly reviews: FinancialReviewService) {}

  @Post(':id/financial-review')
  @RequirePermission(Permission.ApplicationsFinancialReview)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    type: ApplicationDto,
    description: 'Submitted or Under Review -> Financial Review (waiting for the final approval)',
  })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiOperation({
    summary: 'Give the financial review of an application (two-tier approval, first tier)',
    description:
      'A finance officer of the applicant’s area (or a national admin) confirms the joining fee: the application needs a verified payment (POST /payments with applicationId, then verified by another user), else 422 JOINING_FEE_NOT_VERIFIED. Not by the user who recorded that payment (403), and the final approval (POST /applications/{id}/approve) must then come from someone else than the reviewer. Outside your area: 404. Any status but Submitted or Under Review: 409 INVALID_STATUS_TRANSITION. Audited as application.financially_reviewed; sends application.financially_reviewed to the area’s rooms.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  @ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.JoiningFeeNotVerified)
  review(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ApplicationDto> {
    return this.reviews.review(actor, id);
  }
}
