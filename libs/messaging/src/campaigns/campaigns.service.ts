import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCreatedAtCursor,
  ErrorCode,
  invalidCursor,
  Page,
  todayInSouthAfrica,
  toPage,
} from '@app/core';
import type { AppConfig } from '@app/core';
import {
  AccessResource,
  AccessService,
  AreaChain,
  AuthUser,
  isNational,
  requireWithinScope,
  Scope,
  scoped,
  ScopedSql,
  ScopeLevel,
} from '@app/auth';
import { BranchMeeting, MeetingsService } from '@app/branches';
import { GeographyLevel, GeographyService } from '@app/geography';
import {
  AudienceSampleDto,
  CampaignDetailDto,
  CampaignDto,
  CampaignQueryDto,
  CampaignRequestDto,
  DryRunDto,
  ExpiryWindow,
} from '../dto/campaign.dto.js';
import { maskedRecipient } from '../dto/outbox.dto.js';
import { MessageChannel, OutboxStatus } from '../outbox-message.entity.js';
import { MessageTemplate } from '../templates/message-template.entity.js';
import {
  CAMPAIGN_VARIABLES,
  fillVariables,
  parseTemplateText,
  requireSmsFits,
  sizeSms,
  withEmailOptOut,
  withOptOut,
} from '../templates/template-text.js';
import { TemplatesService } from '../templates/templates.service.js';
import { Audience, audienceWhere, renderSql } from './audience-sql.js';
import { AudienceDefinition, Campaign, CampaignStatus } from './campaign.entity.js';

/** Advisory-lock namespace of per-sender campaign sends (two-key form: namespace, hashtext(user id)). */
export const CAMPAIGN_SEND_LOCK_NAMESPACE = 7351;
const SAMPLE_SIZE = 5;

interface Prepared {
  template: MessageTemplate;
  meetingId: string | null;
  audience: Audience;
  chain: AreaChain | null;
  subject: string | null;
  body: string;
  variables: Record<string, string>;
}

const maskWord = (word: string): string => (word ? `${word.slice(0, 1)}***` : '');

/** The area of a meeting (its most specific code; national when it has none). */
function areaOfChain(chain: AreaChain | null): Scope {
  if (!chain) return { level: ScopeLevel.National, code: null };
  if (chain.wardCode) return { level: ScopeLevel.Ward, code: chain.wardCode };
  if (chain.municipalityCode)
    return { level: ScopeLevel.Municipality, code: chain.municipalityCode };
  if (chain.districtCode) return { level: ScopeLevel.District, code: chain.districtCode };
  return { level: ScopeLevel.Province, code: chain.provinceCode };
}

/**
 * Campaigns: an audience (area within the sender's scope, statuses, expiry window) and a template, counted in a
 * dry run, saved as a draft, then sent: every message queued by one INSERT … SELECT in one transaction, each
 * with the idempotency key campaign:<id>:<member>, so a repeated or concurrent send cannot queue twice.
 */
@Injectable()
export class CampaignsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly templates: TemplatesService,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly meetings: MeetingsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  toDto(c: Campaign): CampaignDto {
    return {
      id: c.id,
      templateId: c.templateId,
      channel: c.channel,
      subject: c.subject,
      body: c.body,
      audience: {
        meetingId: c.audience.meetingId ?? null,
        area: { level: c.audience.area.level as ScopeLevel, code: c.audience.area.code },
        statuses: c.audience.statuses as CampaignDto['audience']['statuses'],
        expiry: c.audience.expiry as ExpiryWindow | null,
      },
      variables: c.variables,
      status: c.status,
      recipientCount: c.recipientCount,
      queuedCount: c.queuedCount,
      sms:
        c.channel === MessageChannel.Sms
          ? { ...sizeSms(c.body), maxSegments: this.config.SMS_MAX_SEGMENTS }
          : null,
      createdAt: c.createdAt.toISOString(),
      createdBy: c.createdBy,
      sentAt: c.sentAt?.toISOString() ?? null,
      sentBy: c.sentBy,
    };
  }

  /** The audience's area, checked: unknown → 400, outside the sender's scope → 403. */
  private async resolveArea(
    actor: AuthUser,
    area: { level: string; code?: string | null },
  ): Promise<{ scope: Scope; chain: AreaChain | null }> {
    if (area.level === 'national') {
      if (!isNational(actor.scope))
        throw AppException.forbidden('The audience area lies outside your area');
      return { scope: { level: ScopeLevel.National, code: null }, chain: null };
    }
    const code = area.code ?? '';
    const chain = await this.geography.areaChain(area.level as GeographyLevel, code);
    if (!chain)
      throw AppException.badRequest(
        `There is no ${area.level} with code ${code}`,
        'audience.area.code',
        'unknown_area',
      );
    requireWithinScope(actor, chain, 'The audience area lies outside your area');
    return { scope: { level: area.level as ScopeLevel, code }, chain };
  }

  /** A meeting of the sender's area (else 404, as reading it would) and its invitees now. */
  private async meeting(
    actor: AuthUser,
    meetingId: string,
    manager?: EntityManager,
  ): Promise<{ meeting: BranchMeeting; memberIds: string[] }> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [meetingId], { manager });
    const meeting = await this.meetings.load(meetingId, manager);
    const invitees = await this.meetings.invitees(meeting, manager);
    return { meeting, memberIds: invitees.map((i) => i.id) };
  }

  /** The audience of a stored or requested definition; a meeting's invitees are worked out now. */
  private async audienceOf(
    actor: AuthUser,
    definition: AudienceDefinition,
    manager?: EntityManager,
  ): Promise<Audience> {
    const audience: Audience = {
      area: { level: definition.area.level as ScopeLevel, code: definition.area.code },
      statuses: definition.statuses,
      expiry: definition.expiry as ExpiryWindow | null,
    };
    if (definition.meetingId)
      audience.memberIds = (await this.meeting(actor, definition.meetingId, manager)).memberIds;
    return audience;
  }

  private async prepare(actor: AuthUser, dto: CampaignRequestDto): Promise<Prepared> {
    const template = await this.templates.findVisible(actor, dto.templateId);
    const { meetingId } = dto.audience;
    let fromMeeting: Record<string, string> = {};
    let audience: Audience;
    let chain: AreaChain | null;
    if (meetingId) {
      if (dto.audience.area || dto.audience.statuses || dto.audience.expiry)
        throw AppException.badRequest(
          "A meeting audience is the meeting's invitees: leave out area, statuses and expiry",
          'audience.meetingId',
          'meeting_audience',
        );
      for (const name of CAMPAIGN_VARIABLES)
        if (dto.variables?.[name as 'meetingDate' | 'meetingPlace'])
          throw AppException.badRequest(
            `variables.${name} comes from the meeting; leave it out`,
            `variables.${name}`,
            'variable_from_meeting',
          );
      const { meeting, memberIds } = await this.meeting(actor, meetingId);
      fromMeeting = { meetingDate: meeting.scheduledOn, meetingPlace: meeting.place };
      chain = meeting.provinceCode
        ? {
            provinceCode: meeting.provinceCode,
            districtCode: meeting.districtCode,
            municipalityCode: meeting.municipalityCode,
            wardCode: meeting.wardCode,
          }
        : null;
      audience = { area: areaOfChain(chain), statuses: [], expiry: null, memberIds };
    } else {
      if (!dto.audience.area || !dto.audience.statuses)
        throw AppException.badRequest(
          'An audience needs area and statuses (or meetingId)',
          'audience.area',
          'required',
        );
      const resolved = await this.resolveArea(actor, dto.audience.area);
      chain = resolved.chain;
      audience = {
        area: resolved.scope,
        statuses: [...new Set(dto.audience.statuses)],
        expiry: dto.audience.expiry ?? null,
      };
    }
    const used = parseTemplateText(`${template.subject ?? ''}\n${template.body}`, 'body').variables;
    const given: Record<string, string> = {};
    for (const name of CAMPAIGN_VARIABLES) {
      const value = fromMeeting[name] ?? dto.variables?.[name as 'meetingDate' | 'meetingPlace'];
      if (used.includes(name)) {
        if (!value)
          throw AppException.badRequest(
            `The template uses {{${name}}}: give variables.${name}`,
            `variables.${name}`,
            'missing_variable',
          );
        given[name] = value;
      }
    }
    const fill = (text: string): string => fillVariables(text, given);
    const body =
      template.channel === MessageChannel.Sms
        ? withOptOut(fill(template.body), this.config.SMS_OPT_OUT_TEXT)
        : withEmailOptOut(fill(template.body), this.config.EMAIL_OPT_OUT_TEXT);
    if (template.channel === MessageChannel.Sms)
      requireSmsFits(sizeSms(body), this.config.SMS_MAX_SEGMENTS, 'templateId');
    return {
      template,
      meetingId: meetingId ?? null,
      audience,
      chain,
      subject: template.subject ? fill(template.subject) : null,
      body,
      variables: given,
    };
  }

  private where(
    actor: AuthUser,
    audience: Audience,
    channel: MessageChannel,
  ): ScopedSql & { clause: string } {
    const sql = new ScopedSql() as ScopedSql & { clause: string };
    sql.clause = audienceWhere(sql, actor, audience, channel, todayInSouthAfrica());
    return sql;
  }

  private async count(
    actor: AuthUser,
    audience: Audience,
    channel: MessageChannel,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<number> {
    const sql = this.where(actor, audience, channel);
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM members m WHERE ${sql.clause}`,
      sql.values,
    );
    return rows[0]?.n ?? 0;
  }

  async dryRun(actor: AuthUser, dto: CampaignRequestDto): Promise<DryRunDto> {
    const p = await this.prepare(actor, dto);
    const channel = p.template.channel;
    const count = await this.count(actor, p.audience, channel);
    const sql = this.where(actor, p.audience, channel);
    const rows: {
      first_names: string;
      surname: string;
      membership_number: string;
      recipient: string;
    }[] = await this.dataSource.query(
      `SELECT m.first_names, m.surname, m.membership_number,
                ${channel === MessageChannel.Sms ? 'm.cell_number' : 'm.email'} AS recipient
           FROM members m WHERE ${sql.clause} ORDER BY m.id LIMIT ${SAMPLE_SIZE}`,
      sql.values,
    );
    const sample: AudienceSampleDto[] = rows.map((r) => ({
      name: `${maskWord(r.first_names)} ${maskWord(r.surname)}`,
      membershipNumber: `${r.membership_number.slice(0, 3)}***${r.membership_number.slice(-2)}`,
      recipient: maskedRecipient(channel, r.recipient),
    }));
    return {
      count,
      sample,
      body: p.body,
      subject: p.subject,
      sms:
        channel === MessageChannel.Sms
          ? { ...sizeSms(p.body), maxSegments: this.config.SMS_MAX_SEGMENTS }
          : null,
    };
  }

  async create(actor: AuthUser, dto: CampaignRequestDto): Promise<CampaignDto> {
    const p = await this.prepare(actor, dto);
    const definition: AudienceDefinition = {
      ...(p.meetingId ? { meetingId: p.meetingId } : {}),
      area: { level: p.audience.area.level, code: p.audience.area.code },
      statuses: [...p.audience.statuses],
      expiry: p.audience.expiry,
    };
    const saved = await this.dataSource.transaction(async (manager) => {
      const recipientCount = await this.count(actor, p.audience, p.template.channel, manager);
      const row = await manager.save(
        Campaign,
        manager.create(Campaign, {
          templateId: p.template.id,
          channel: p.template.channel,
          subject: p.subject,
          body: p.body,
          audience: definition,
          variables: p.variables,
          status: CampaignStatus.Draft,
          recipientCount,
          queuedCount: null,
          provinceCode: p.chain?.provinceCode ?? null,
          districtCode: p.chain?.districtCode ?? null,
          municipalityCode: p.chain?.municipalityCode ?? null,
          wardCode: p.chain?.wardCode ?? null,
          createdBy: actor.id,
        }),
      );
      await this.audit.record(
        {
          action: 'messaging.campaign_created',
          entityType: 'messaging_campaign',
          entityId: row.id,
          provinceCode: row.provinceCode,
          changes: { audience: definition, templateId: p.template.id, recipientCount },
        },
        manager,
      );
      return row;
    });
    return this.toDto(saved);
  }

  async findVisible(
    actor: AuthUser,
    id: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<Campaign> {
    const qb = scoped(
      manager.getRepository(Campaign).createQueryBuilder('c'),
      actor.scope,
      'c',
    ).andWhere('c.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    const found = await qb.getOne();
    if (!found) throw AppException.notFound('Campaign');
    return found;
  }

  async get(actor: AuthUser, id: string): Promise<CampaignDetailDto> {
    const campaign = await this.findVisible(actor, id);
    const rows = await this.dataSource.query<{ status: OutboxStatus; n: number }[]>(
      `SELECT status, count(*)::int AS n FROM messaging_outbox WHERE campaign_id = $1 GROUP BY status`,
      [campaign.id],
    );
    const outbox = { queued: 0, sending: 0, sent: 0, delivered: 0, failed: 0 };
    for (const row of rows) outbox[row.status] = row.n;
    return { ...this.toDto(campaign), outbox };
  }

  /** Campaigns whose audience area lies in the caller's area, newest first (keyset on created_at, id). */
  async list(actor: AuthUser, query: CampaignQueryDto): Promise<Page<CampaignDto>> {
    const qb = scoped(
      this.dataSource.getRepository(Campaign).createQueryBuilder('c'),
      actor.scope,
      'c',
    );
    if (query.status) qb.andWhere('c.status = :status', { status: query.status });
    if (query.cursor) {
      const after = decodeCreatedAtCursor(query.cursor);
      if (!after) throw invalidCursor();
      qb.andWhere(
        `(c.created_at, c.id) < (CAST(:cursorAt AS timestamp) AT TIME ZONE 'UTC', CAST(:cursorId AS uuid))`,
        { cursorAt: after.at, cursorId: after.id },
      );
    }
    qb.addSelect(
      `to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
      'cursor_at',
    )
      .orderBy('c.createdAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(query.limit + 1);
    const { entities, raw } = await qb.getRawAndEntities<{ cursor_at: string }>();
    const rows = entities.map((c, i) => ({ dto: this.toDto(c), at: raw[i]?.cursor_at ?? '' }));
    const page = toPage(rows, query.limit, (r) => [r.at, r.dto.id]);
    return { data: page.data.map((r) => r.dto), nextCursor: page.nextCursor };
  }

  /**
   * Queues the draft's messages in one transaction: the per-sender hourly limit checked under an advisory lock,
   * then one INSERT … SELECT over the audience (re-evaluated now, within the sender's scope), idempotent per
   * (campaign, member), then the campaign marked queued and the send audited with its audience definition.
   */
  async send(actor: AuthUser, id: string): Promise<CampaignDto> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const campaign = await this.findVisible(actor, id, manager, true);
      if (campaign.status !== CampaignStatus.Draft)
        throw AppException.conflict('The campaign was sent already', {
          campaignStatus: campaign.status,
        });
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        CAMPAIGN_SEND_LOCK_NAMESPACE,
        actor.id,
      ]);
      const [recent] = await manager.query<{ n: number; oldest: Date | null }[]>(
        `SELECT count(*)::int AS n, min(sent_at) AS oldest FROM messaging_campaigns
          WHERE sent_by = $1 AND sent_at > now() - interval '1 hour'`,
        [actor.id],
      );
      const limit = this.config.CAMPAIGN_SENDS_PER_HOUR;
      if ((recent?.n ?? 0) >= limit) {
        const retryAfter = recent?.oldest
          ? Math.max(1, Math.ceil((recent.oldest.getTime() + 3_600_000 - Date.now()) / 1000))
          : 3600;
        throw new AppException(
          HttpStatus.TOO_MANY_REQUESTS,
          ErrorCode.RateLimited,
          `You may send ${limit} campaigns per hour; try again in ${retryAfter} s`,
          undefined,
          { retryAfterSeconds: retryAfter },
        );
      }
      const audience = await this.audienceOf(actor, campaign.audience, manager);
      const sql = this.where(actor, audience, campaign.channel);
      const recipient = campaign.channel === MessageChannel.Sms ? 'm.cell_number' : 'm.email';
      const [queued] = await manager.query<{ n: number }[]>(
        `WITH queued AS (
           INSERT INTO messaging_outbox (channel, kind, recipient, subject, body, recipient_member_id,
                                         province_code, district_code, municipality_code, ward_code,
                                         campaign_id, idempotency_key)
           SELECT ${sql.param(campaign.channel)}, 'campaign', ${recipient},
                  ${renderSql(sql, campaign.subject)}, ${renderSql(sql, campaign.body)}, m.id,
                  m.province_code, m.district_code, m.municipality_code, m.ward_code,
                  ${sql.param(campaign.id)}::uuid, 'campaign:' || ${sql.param(campaign.id)} || ':' || m.id
             FROM members m
            WHERE ${sql.clause}
           ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING 1)
         SELECT count(*)::int AS n FROM queued`,
        sql.values,
      );
      const queuedCount = queued?.n ?? 0;
      await manager.update(
        Campaign,
        { id: campaign.id },
        { status: CampaignStatus.Queued, queuedCount, sentBy: actor.id, sentAt: new Date() },
      );
      await this.audit.record(
        {
          action: 'messaging.campaign_sent',
          entityType: 'messaging_campaign',
          entityId: campaign.id,
          provinceCode: campaign.provinceCode,
          changes: {
            audience: campaign.audience,
            channel: campaign.channel,
            recipientCount: campaign.recipientCount,
            queuedCount,
          },
        },
        manager,
      );
      return manager.findOneByOrFail(Campaign, { id: campaign.id });
    });
    return this.toDto(saved);
  }
}
