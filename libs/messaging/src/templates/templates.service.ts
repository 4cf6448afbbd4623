import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppException, AuditService } from '@app/core';
import type { AppConfig } from '@app/core';
import { AreaChain, AuthUser, isValidScope, scoped, ScopeLevel } from '@app/auth';
import { GeographyLevel, GeographyService } from '@app/geography';
import { SaveTemplateDto, TemplateDto } from '../dto/campaign.dto.js';
import { MessageChannel } from '../outbox-message.entity.js';
import { MessageTemplate } from './message-template.entity.js';
import { parseTemplateText, requireSmsFits, sizeSms, withOptOut } from './template-text.js';

const LIST_LIMIT = 500;

export interface AreaColumns {
  provinceCode: string | null;
  districtCode: string | null;
  municipalityCode: string | null;
  wardCode: string | null;
}

/** Template CRUD, scoped like every other record: an admin sees and edits the templates of their area. */
@Injectable()
export class TemplatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  toDto(t: MessageTemplate): TemplateDto {
    const parsed = parseTemplateText(`${t.subject ?? ''}\n${t.body}`, 'body');
    return {
      id: t.id,
      name: t.name,
      channel: t.channel,
      subject: t.subject,
      body: t.body,
      variables: parsed.variables,
      sms: t.channel === MessageChannel.Sms ? this.smsSize(t.body) : null,
      provinceCode: t.provinceCode,
      districtCode: t.districtCode,
      municipalityCode: t.municipalityCode,
      wardCode: t.wardCode,
      version: t.version,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    };
  }

  /** Size of an SMS whose wording is `body` (opt-out added, unfilled variables at their longest). */
  smsSize(body: string): TemplateDto['sms'] {
    const size = sizeSms(withOptOut(body, this.config.SMS_OPT_OUT_TEXT));
    return { ...size, maxSegments: this.config.SMS_MAX_SEGMENTS };
  }

  /** The area chain of the actor's own scope (all null nationally). */
  async ownArea(actor: AuthUser): Promise<AreaColumns> {
    const none = { provinceCode: null, districtCode: null, municipalityCode: null, wardCode: null };
    if (!isValidScope(actor.scope)) throw AppException.forbidden('Your account has no valid area');
    if (actor.scope.level === ScopeLevel.National) return none;
    const chain = await this.geography.areaChain(
      actor.scope.level as unknown as GeographyLevel,
      actor.scope.code as string,
    );
    if (!chain) throw AppException.forbidden('Your account has no valid area');
    return { ...none, ...(chain as AreaChain) };
  }

  private validate(dto: SaveTemplateDto): { subject: string | null; body: string } {
    const body = parseTemplateText(dto.body, 'body').text;
    const subject =
      dto.channel === MessageChannel.Email && dto.subject
        ? parseTemplateText(dto.subject, 'subject').text
        : null;
    if (dto.channel === MessageChannel.Sms) {
      const size = sizeSms(withOptOut(body, this.config.SMS_OPT_OUT_TEXT));
      requireSmsFits(size, this.config.SMS_MAX_SEGMENTS, 'body');
    }
    return { subject, body };
  }

  async create(actor: AuthUser, dto: SaveTemplateDto): Promise<TemplateDto> {
    const text = this.validate(dto);
    const area = await this.ownArea(actor);
    const saved = await this.dataSource.transaction(async (manager) => {
      const row = await manager.save(
        MessageTemplate,
        manager.create(MessageTemplate, {
          name: dto.name,
          channel: dto.channel,
          ...text,
          ...area,
          createdBy: actor.id,
        }),
      );
      await this.audit.record(
        {
          action: 'messaging.template_created',
          entityType: 'messaging_template',
          entityId: row.id,
          provinceCode: row.provinceCode,
          changes: { name: row.name, channel: row.channel },
        },
        manager,
      );
      return row;
    });
    return this.toDto(saved);
  }

  /** A template within the actor's scope, else 404. */
  async findVisible(actor: AuthUser, id: string): Promise<MessageTemplate> {
    const found = await scoped(
      this.dataSource.getRepository(MessageTemplate).createQueryBuilder('t'),
      actor.scope,
      't',
    )
      .andWhere('t.id = :id', { id })
      .getOne();
    if (!found) throw AppException.notFound('Template');
    return found;
  }

  async list(actor: AuthUser): Promise<TemplateDto[]> {
    const rows = await scoped(
      this.dataSource.getRepository(MessageTemplate).createQueryBuilder('t'),
      actor.scope,
      't',
    )
      .orderBy('t.name', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .limit(LIST_LIMIT)
      .getMany();
    return rows.map((t) => this.toDto(t));
  }

  async update(actor: AuthUser, id: string, dto: SaveTemplateDto): Promise<TemplateDto> {
    const text = this.validate(dto);
    const saved = await this.dataSource.transaction(async (manager) => {
      const current = await this.findVisible(actor, id);
      await manager.update(
        MessageTemplate,
        { id: current.id },
        { name: dto.name, channel: dto.channel, ...text, version: current.version + 1 },
      );
      await this.audit.record(
        {
          action: 'messaging.template_updated',
          entityType: 'messaging_template',
          entityId: id,
          provinceCode: current.provinceCode,
          changes: { name: dto.name, channel: dto.channel },
        },
        manager,
      );
      return manager.findOneByOrFail(MessageTemplate, { id });
    });
    return this.toDto(saved);
  }

  async remove(actor: AuthUser, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.findVisible(actor, id);
      await manager.delete(MessageTemplate, { id: current.id });
      await this.audit.record(
        {
          action: 'messaging.template_deleted',
          entityType: 'messaging_template',
          entityId: id,
          provinceCode: current.provinceCode,
          changes: { name: current.name },
        },
        manager,
      );
    });
  }
}
