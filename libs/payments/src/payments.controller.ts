import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Logger,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  ApiErrorCodes,
  ApiProblems,
  AppException,
  ErrorCode,
  Public,
  RequestContext,
  UuidParam,
} from '@app/core';
import type { Page } from '@app/core';
import {
  CheckoutDto,
  CreateCheckoutDto,
  ListPaymentsQueryDto,
  PaymentDto,
  PaymentPage,
  RecordPaymentDto,
  RejectPaymentDto,
} from './dto/payment.dto.js';
import { NotificationRefused } from './gateway/payment-gateway.port.js';
import { PaymentsService } from './payments.service.js';

export class NotificationAcceptedDto {
  @ApiProperty({ enum: ['applied', 'repeat', 'ignored'], enumName: 'NotificationOutcome' })
  outcome!: 'applied' | 'repeat' | 'ignored';
}

@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  private readonly logger = new Logger(PaymentsController.name);

  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @RequirePermission(Permission.PaymentsRecord)
  @ApiCreatedResponse({ type: PaymentDto, description: 'The payment, pending verification' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Record a payment',
    description:
      'A cash, EFT or external payment for a member (a renewal) or an application (the joining fee): exactly one of memberId and applicationId, paidOn (not in the future), amountCents (integer cents > 0, default MEMBERSHIP_FEE_CENTS) and a reference unique per method (a repeat is 409). The payment is pending: nothing changes for the member until another user verifies it (four eyes). A member or application outside your area answers 404. Audited as payment.recorded and shown in the member history.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.Conflict)
  record(@CurrentUser() actor: AuthUser, @Body() body: RecordPaymentDto): Promise<PaymentDto> {
    return this.payments.record(actor, body);
  }

  @Get()
  @RequirePermission(Permission.PaymentsRead)
  @ApiOkResponse({ type: PaymentPage })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List payments',
    description:
      'A keyset page of the payments of members and applications in your area, newest first; status=pending gives the payments waiting for verification in your area. Filters only narrow your area.',
  })
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListPaymentsQueryDto,
  ): Promise<Page<PaymentDto>> {
    return this.payments.list(actor, query);
  }

  @Post('checkouts')
  @RequirePermission(Permission.PaymentsRecord)
  @ApiCreatedResponse({ type: CheckoutDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.SERVICE_UNAVAILABLE,
  )
  @ApiOperation({
    summary: 'Start a card payment (PayFast hosted checkout)',
    description:
      "Records a pending card payment for a member and answers the PayFast process URL with the signed form fields the browser posts there. The card is entered on PayFast's page: no card data ever reaches this API. PayFast's server-to-server notification then verifies the payment and renews the membership. 503 when PayFast is not configured.",
  })
  checkout(@CurrentUser() actor: AuthUser, @Body() body: CreateCheckoutDto): Promise<CheckoutDto> {
    return this.payments.checkout(actor, body);
  }

  @Post('payfast/notifications')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: { type: 'object', additionalProperties: { type: 'string' } } })
  @ApiOkResponse({ type: NotificationAcceptedDto, description: 'Accepted (PayFast wants 200)' })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'PayFast ITN (called by PayFast, not by clients)',
    description:
      'The Instant Transaction Notification. Checked as PayFast documents: MD5 signature over the posted fields in order with the passphrase, source address in PAYFAST_SOURCE_RANGES (when PAYFAST_SOURCE_CHECK), merchant id, amount and m_payment_id match our payment, and PayFast confirms the data at PAYFAST_VALIDATE_URL (VALID). COMPLETE verifies the payment and renews the member in one transaction; FAILED/CANCELLED rejects it; a repeat or a late notification for a decided payment changes nothing. Accepted: 200. Refused: 400, nothing changed.',
  })
  async payfastNotification(@Body() body: unknown): Promise<NotificationAcceptedDto> {
    const fields =
      body && typeof body === 'object' && !Array.isArray(body)
        ? (body as Record<string, string>)
        : {};
    try {
      return { outcome: await this.payments.notification(fields, RequestContext.current().ip) };
    } catch (error) {
      if (!(error instanceof NotificationRefused)) throw error;
      this.logger.warn({ reason: error.reason }, 'PayFast notification refused');
      throw AppException.badRequest('The notification was refused', undefined, 'refused');
    }
  }

  @Get(':id')
  @RequirePermission(Permission.PaymentsRead)
  @ApiOkResponse({ type: PaymentDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a payment',
    description: 'One payment of a member or application in your area (404 outside).',
  })
  get(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<PaymentDto> {
    return this.payments.get(actor, id);
  }

  @Post(':id/verify')
  @RequirePermission(Permission.PaymentsVerify)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: PaymentDto, description: 'Pending -> Verified; a member payment renews' })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
  )
  @ApiOperation({
    summary: 'Verify a payment (four eyes)',
    description:
      'By a user other than the one who recorded it (else 403), whose scope covers the payment (else 403) and its member (else 404). In one transaction with the payment row locked: the member expiry is extended by the membership rule (the later of the current expiry and paidOn + MEMBERSHIP_PERIOD_MONTHS) and the renewal row written. Of concurrent verifications one wins; the others, and any re-verification, get 409. Card payments are verified only by the gateway (409).',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition, ErrorCode.Conflict)
  verify(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<PaymentDto> {
    return this.payments.verify(actor, id);
  }

  @Post(':id/reject')
  @RequirePermission(Permission.PaymentsVerify)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: PaymentDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
  )
  @ApiOperation({
    summary: 'Reject a payment (four eyes)',
    description:
      'With a reason; same rules as verify (not by the recorder, scope must cover it). A rejected payment changes nothing for the member.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition, ErrorCode.Conflict)
  reject(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RejectPaymentDto,
  ): Promise<PaymentDto> {
    return this.payments.reject(actor, id, body.reason);
  }
}
