import { ApiProperty } from '@nestjs/swagger';
import { MessageChannel, OutboxMessage, OutboxStatus } from '../outbox-message.entity.js';

/** Delivery status of one outbox message (the recipient masked, the body never shown). */
export class OutboxMessageDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: MessageChannel, enumName: 'MessageChannel' })
  channel!: MessageChannel;

  @ApiProperty({ example: 'password_reset' })
  kind!: string;

  @ApiProperty({ description: 'Masked recipient', example: '***@example.org' })
  recipient!: string;

  @ApiProperty({ enum: OutboxStatus, enumName: 'OutboxStatus' })
  status!: OutboxStatus;

  @ApiProperty({ description: 'Delivery attempts so far' })
  attempts!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  nextAttemptAt!: string;

  @ApiProperty({ type: String, nullable: true })
  providerMessageId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  lastError!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  failedAt!: string | null;
}

/** A recipient as shown to admins: first letter and domain of an address, ends of a number. */
export function maskedRecipient(channel: MessageChannel, recipient: string): string {
  if (channel === MessageChannel.Email) {
    const at = recipient.indexOf('@');
    return at > 0 ? `${recipient.slice(0, 1)}***${recipient.slice(at)}` : '***';
  }
  return `${recipient.slice(0, 3)}*****${recipient.slice(-3)}`;
}

export function toOutboxMessageDto(row: OutboxMessage): OutboxMessageDto {
  return {
    id: row.id,
    channel: row.channel,
    kind: row.kind,
    recipient: maskedRecipient(row.channel, row.recipient),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    providerMessageId: row.providerMessageId,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    failedAt: row.failedAt?.toISOString() ?? null,
  };
}
