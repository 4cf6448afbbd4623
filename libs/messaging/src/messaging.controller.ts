import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBody,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems, APP_CONFIG, AppException, Public, UuidParam } from '@app/core';
import type { AppConfig } from '@app/core';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { BULKSMS_DELIVERED, BULKSMS_FINAL_FAILURES } from './channels/bulksms.sms-sender.js';
import type { BulkSmsMessage } from './channels/bulksms.sms-sender.js';
import { OutboxMessageDto, toOutboxMessageDto } from './dto/outbox.dto.js';
import { MessageChannel } from './outbox-message.entity.js';
import { InboundSms, InboundSmsService } from './inbound-sms.service.js';
import { DeliveryReport, OutboxService } from './outbox.service.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

@ApiTags('messaging')
@Controller('messaging')
export class MessagingController {
  constructor(
    private readonly outbox: OutboxService,
    private readonly inbound: InboundSmsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('outbox/:id')
  @ApiOperation({
    summary: 'Delivery status of one outbox message within your area',
    description:
      'Status (queued, sending, sent, delivered or failed), attempts, provider id and last error of a message the API sent or will send. The recipient is masked and the text is never returned. A message outside your area, and any national message unless you are a national admin, answers 404.',
  })
  @RequirePermission(Permission.MessagingRead)
  @ApiOkResponse({ type: OutboxMessageDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async outboxMessage(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<OutboxMessageDto> {
    return toOutboxMessageDto(await this.outbox.findVisible(user.scope, id));
  }

  /**
   * The BulkSMS delivery-report webhook (an array of message objects). BulkSMS signs nothing, so the URL
   * configured at BulkSMS carries SMS_WEBHOOK_SECRET as ?token=.
   */
  @Post('webhooks/bulksms')
  @Public()
  @ApiOperation({
    summary: 'BulkSMS delivery-report webhook (called by the gateway, not by clients)',
    description:
      'BulkSMS posts an array of message status reports here. The URL configured at BulkSMS carries SMS_WEBHOOK_SECRET as ?token=; a missing or wrong token answers 403 and changes nothing. Reports for unknown messages, or for messages already delivered or failed, are ignored.',
  })
  @ApiQuery({ name: 'token', type: String, description: 'SMS_WEBHOOK_SECRET' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBody({ schema: { type: 'array', items: { type: 'object' } } })
  @ApiNoContentResponse()
  async bulkSmsReport(@Query('token') token: unknown, @Body() body: unknown): Promise<void> {
    this.requireWebhookToken(token, 'The delivery report does not carry the webhook secret');
    if (!Array.isArray(body))
      throw AppException.badRequest('A BulkSMS delivery report is an array of messages');
    const reports: DeliveryReport[] = [];
    for (const item of body as BulkSmsMessage[]) {
      const id = item?.id;
      const type = item?.status?.type;
      if ((typeof id !== 'string' && typeof id !== 'number') || typeof type !== 'string') continue;
      if (type === BULKSMS_DELIVERED)
        reports.push({ providerMessageId: String(id), outcome: 'delivered' });
      else if ((BULKSMS_FINAL_FAILURES as readonly string[]).includes(type))
        reports.push({
          providerMessageId: String(id),
          outcome: 'failed',
          detail: `BulkSMS ${type}${typeof item.status?.subtype === 'string' ? `.${item.status.subtype}` : ''}`,
        });
    }
    await this.outbox.applyDeliveryReports(MessageChannel.Sms, reports);
  }

  /**
   * The BulkSMS incoming-message (MO) webhook: BulkSMS posts a JSON array of message objects (the List Messages
   * shape; a webhook with triggerScope RECEIVED, header X-BulkSMS-Event: incoming-message). `from` and `body`
   * are plain strings in the v1 message object and { address } / { value } objects in the newer one; both are
   * read. Secured like the delivery-report webhook: SMS_WEBHOOK_SECRET as ?token=.
   */
  @Post('webhooks/bulksms/inbound')
  @Public()
  @ApiOperation({
    summary: 'BulkSMS incoming-message webhook (called by the gateway, not by clients)',
    description:
      "BulkSMS posts an array of received (MO) messages here. The URL configured at BulkSMS carries SMS_WEBHOOK_SECRET as ?token=; a missing or wrong token answers 403 and changes nothing. A reply whose first word is STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT) from a member's cell number records the member's objection to being contacted (audited as member.objection_changed): campaigns and reminders leave them out from then on. Other texts, and numbers of no member, change nothing.",
  })
  @ApiQuery({ name: 'token', type: String, description: 'SMS_WEBHOOK_SECRET' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBody({ schema: { type: 'array', items: { type: 'object' } } })
  @ApiNoContentResponse()
  async bulkSmsInbound(@Query('token') token: unknown, @Body() body: unknown): Promise<void> {
    this.requireWebhookToken(token, 'The incoming message does not carry the webhook secret');
    if (!Array.isArray(body))
      throw AppException.badRequest('A BulkSMS incoming-message call is an array of messages');
    const messages: InboundSms[] = [];
    for (const item of body as BulkSmsInboundMessage[]) {
      if (item?.type !== undefined && item.type !== 'RECEIVED') continue;
      const from = textOf(item?.from, 'address');
      const text = textOf(item?.body, 'value');
      if (from !== null && text !== null) messages.push({ from, body: text });
    }
    await this.inbound.receive(messages);
  }

  private requireWebhookToken(token: unknown, message: string): void {
    const secret = this.config.SMS_WEBHOOK_SECRET;
    if (!secret || typeof token !== 'string' || !timingSafeEqual(digest(token), digest(secret)))
      throw AppException.forbidden(message);
  }
}

/** A received message object of the BulkSMS API (only what the webhook reads). */
interface BulkSmsInboundMessage {
  type?: unknown;
  from?: unknown;
  body?: unknown;
}

/** A string field, or the `key` string of an object field ({ address } / { value }); else null. */
function textOf(value: unknown, key: string): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const inner = (value as Record<string, unknown>)[key];
    if (typeof inner === 'string') return inner;
  }
  return null;
}
