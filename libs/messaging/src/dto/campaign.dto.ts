import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEnum,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { AllowsMultilineText, CursorQueryDto } from '@app/core';
import { MessageChannel } from '../outbox-message.entity.js';
import { CampaignStatus } from '../campaigns/campaign.entity.js';
import { TEMPLATE_VARIABLES } from '../templates/template-text.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

/** Statuses a campaign audience may select. */
export const AUDIENCE_STATUSES = [
  'pending',
  'active',
  'grace_period',
  'expired',
  'suspended',
] as const;

/** Expiry windows relative to today (Africa/Johannesburg). */
export const EXPIRY_WINDOWS = [
  'expiring_30_days',
  'expiring_14_days',
  'expiring_7_days',
  'expired_within_90_days',
] as const;
export type ExpiryWindow = (typeof EXPIRY_WINDOWS)[number];

export const AREA_LEVELS = ['national', 'province', 'district', 'municipality', 'ward'] as const;

export class SmsSizeDto {
  @ApiProperty({ enum: ['GSM-7', 'UCS-2'], enumName: 'SmsEncoding' })
  encoding!: 'GSM-7' | 'UCS-2';

  @ApiProperty({ description: 'Septets (GSM-7) or UTF-16 units (UCS-2), opt-out text included' })
  units!: number;

  @ApiProperty({ description: 'SMS segments (160/153 GSM-7, 70/67 UCS-2)' })
  segments!: number;

  @ApiProperty({ description: 'The largest allowed (SMS_MAX_SEGMENTS)' })
  maxSegments!: number;
}

// --- templates ---

export class SaveTemplateDto {
  @ApiProperty({ example: 'Renewal nudge', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: MessageChannel, enumName: 'MessageChannel' })
  @IsEnum(MessageChannel)
  channel!: MessageChannel;

  @ApiPropertyOptional({
    description: 'Email subject (email templates; variables allowed)',
    maxLength: 200,
  })
  @ValidateIf((o: SaveTemplateDto) => o.channel === MessageChannel.Email || o.subject != null)
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  subject?: string | null;

  @ApiProperty({
    description: `Message text; variables as {{name}}, one of: ${TEMPLATE_VARIABLES.join(', ')}. An unknown variable answers 400 naming it.`,
    example: 'Hi {{firstName}}, your membership {{membershipNumber}} expires on {{expiryDate}}.',
    maxLength: 5000,
  })
  @AllowsMultilineText()
  @IsString()
  @IsNotEmpty()
  @MaxLength(5000)
  body!: string;
}

export class TemplateDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: MessageChannel, enumName: 'MessageChannel' })
  channel!: MessageChannel;

  @ApiProperty({ type: String, nullable: true })
  subject!: string | null;

  @ApiProperty()
  body!: string;

  @ApiProperty({ type: [String], description: 'Variables the text uses', example: ['firstName'] })
  variables!: string[];

  @ApiProperty({
    type: SmsSizeDto,
    nullable: true,
    description:
      'SMS templates: encoding and segments of the message as sent (opt-out text added, member variables at their longest)',
  })
  sms!: SmsSizeDto | null;

  @ApiProperty({ type: String, nullable: true, description: 'Area the template belongs to' })
  provinceCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  districtCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  municipalityCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  wardCode!: string | null;

  @ApiProperty()
  version!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class TemplateListDto {
  @ApiProperty({ type: [TemplateDto] })
  items!: TemplateDto[];
}

// --- audiences and campaigns ---

export class AudienceAreaDto {
  @ApiProperty({ enum: AREA_LEVELS, enumName: 'AudienceAreaLevel' })
  @IsIn(AREA_LEVELS)
  level!: (typeof AREA_LEVELS)[number];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Area code; null or absent for national',
    example: 'GT421',
  })
  @ValidateIf((o: AudienceAreaDto) => o.level !== 'national')
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  code?: string | null;
}

const noMeeting = (o: AudienceDto): boolean => o.meetingId == null;

export class AudienceDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "A meeting's invitees (a ward assembly: the ward's Active and Grace Period members on the meeting date; a structure meeting: its office bearers then). The meeting must lie in your area (else 404); area, statuses and expiry are then left out, and {{meetingDate}}/{{meetingPlace}} come from the meeting.",
  })
  @IsOptional()
  @IsUUID()
  meetingId?: string;

  @ApiPropertyOptional({
    type: AudienceAreaDto,
    description:
      'Where the members are; must lie within your area (else 403). Required without meetingId.',
  })
  @ValidateIf(noMeeting)
  @ValidateNested()
  @Type(() => AudienceAreaDto)
  area?: AudienceAreaDto;

  @ApiPropertyOptional({
    enum: AUDIENCE_STATUSES,
    enumName: 'AudienceStatus',
    isArray: true,
    example: ['active', 'grace_period'],
    description: 'Required without meetingId.',
  })
  @ValidateIf(noMeeting)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @IsIn(AUDIENCE_STATUSES, { each: true })
  statuses?: (typeof AUDIENCE_STATUSES)[number][];

  @ApiPropertyOptional({
    enum: EXPIRY_WINDOWS,
    enumName: 'AudienceExpiryWindow',
    nullable: true,
    description:
      'Only members whose membership expires within 30/14/7 days from today, or expired within the last 90 days',
  })
  @IsOptional()
  @IsIn(EXPIRY_WINDOWS)
  expiry?: ExpiryWindow | null;
}

/** The audience of a saved campaign: a meeting's invitees carry the meeting's area. */
export class CampaignAudienceDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  meetingId!: string | null;

  @ApiProperty({ type: AudienceAreaDto })
  area!: AudienceAreaDto;

  @ApiProperty({
    enum: AUDIENCE_STATUSES,
    enumName: 'AudienceStatus',
    isArray: true,
    description: 'Empty for a meeting audience (invitees are chosen by the meeting rule)',
  })
  statuses!: (typeof AUDIENCE_STATUSES)[number][];

  @ApiProperty({ enum: EXPIRY_WINDOWS, enumName: 'AudienceExpiryWindow', nullable: true })
  expiry!: ExpiryWindow | null;
}

export class CampaignVariablesDto {
  @ApiPropertyOptional({ example: '2026-12-12 10:00', maxLength: 40 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  meetingDate?: string;

  @ApiPropertyOptional({ example: 'Sebokeng community hall', maxLength: 120 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  meetingPlace?: string;
}

export class CampaignRequestDto {
  @ApiProperty({ format: 'uuid', description: 'A template within your area' })
  @IsUUID()
  templateId!: string;

  @ApiProperty({ type: AudienceDto })
  @ValidateNested()
  @Type(() => AudienceDto)
  audience!: AudienceDto;

  @ApiPropertyOptional({
    type: CampaignVariablesDto,
    description: 'Values of the campaign-wide variables the template uses',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignVariablesDto)
  variables?: CampaignVariablesDto;
}

export class AudienceSampleDto {
  @ApiProperty({ example: 'T*** M***' })
  name!: string;

  @ApiProperty({ example: 'EFF***123' })
  membershipNumber!: string;

  @ApiProperty({ example: '+27*****567' })
  recipient!: string;
}

export class DryRunDto {
  @ApiProperty({
    description:
      'Members the campaign would message (objectors and members without the channel left out)',
  })
  count!: number;

  @ApiProperty({ type: [AudienceSampleDto], description: 'Up to 5 of them, masked' })
  sample!: AudienceSampleDto[];

  @ApiProperty({ description: 'The message as queued (member variables still as {{name}})' })
  body!: string;

  @ApiProperty({ type: String, nullable: true })
  subject!: string | null;

  @ApiProperty({ type: SmsSizeDto, nullable: true })
  sms!: SmsSizeDto | null;
}

export class CampaignDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  templateId!: string;

  @ApiProperty({ enum: MessageChannel, enumName: 'MessageChannel' })
  channel!: MessageChannel;

  @ApiProperty({ type: String, nullable: true })
  subject!: string | null;

  @ApiProperty()
  body!: string;

  @ApiProperty({ type: CampaignAudienceDto })
  audience!: CampaignAudienceDto;

  @ApiProperty({ type: CampaignVariablesDto })
  variables!: CampaignVariablesDto;

  @ApiProperty({ enum: CampaignStatus, enumName: 'CampaignStatus' })
  status!: CampaignStatus;

  @ApiProperty({ description: 'Members the audience matched when the draft was made' })
  recipientCount!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Messages the send queued' })
  queuedCount!: number | null;

  @ApiProperty({ type: SmsSizeDto, nullable: true })
  sms!: SmsSizeDto | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  createdBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sentBy!: string | null;
}

/** Messages of a campaign by outbox status. */
export class OutboxCountsDto {
  @ApiProperty()
  queued!: number;

  @ApiProperty()
  sending!: number;

  @ApiProperty()
  sent!: number;

  @ApiProperty()
  delivered!: number;

  @ApiProperty()
  failed!: number;
}

export class CampaignDetailDto extends CampaignDto {
  @ApiProperty({
    type: OutboxCountsDto,
    description: "The campaign's messages by outbox status now (all 0 for a draft)",
  })
  outbox!: OutboxCountsDto;
}

export class CampaignQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: CampaignStatus, enumName: 'CampaignStatus' })
  @IsOptional()
  @IsEnum(CampaignStatus)
  status?: CampaignStatus;
}
