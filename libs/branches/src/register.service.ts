import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AccessResource, AccessService, AuthUser } from '@app/auth';
import { AuditService } from '@app/core';
import { downloadHeaders, writeTable } from '@app/files';
import { MeetingAttendance } from './entities/meeting-attendance.entity.js';
import { MeetingsService } from './meetings.service.js';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export const REGISTER_COLUMNS = [
  { header: 'Membership number', width: 20 },
  { header: 'Surname', width: 24 },
  { header: 'First names', width: 28 },
  { header: 'Status on meeting date', width: 20 },
  { header: 'Present', width: 10 },
  { header: 'Signature', width: 30 },
];

/** The attendance register of a meeting: every invitee, whether recorded present, and a signature column. */
@Injectable()
export class RegisterService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly meetings: MeetingsService,
    private readonly audit: AuditService,
  ) {}

  async rows(actor: AuthUser, id: string): Promise<{ name: string; rows: string[][] }> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [id]);
    const m = await this.meetings.load(id);
    const [invitees, attendance] = await Promise.all([
      this.meetings.invitees(m),
      this.dataSource.manager.find(MeetingAttendance, { where: { meetingId: id } }),
    ]);
    const present = new Set(attendance.map((a) => a.memberId));
    return {
      name: `register-${m.type}-${m.wardCode ?? m.structureKind ?? ''}-${m.scheduledOn}`,
      rows: invitees.map((i) => [
        i.membershipNumber,
        i.surname,
        i.firstNames,
        i.statusOnDate,
        present.has(i.id) ? 'yes' : '',
        '',
      ]),
    };
  }

  async write(actor: AuthUser, id: string, format: 'csv' | 'xlsx', res: Response): Promise<void> {
    const { name, rows } = await this.rows(actor, id);
    res.set(downloadHeaders(format, name));
    async function* iterate(): AsyncIterable<string[]> {
      yield* rows;
    }
    await writeTable(res, format, REGISTER_COLUMNS, iterate(), async (count) => {
      await this.audit.record({
        action: 'branches.register_downloaded',
        entityType: 'branch_meeting',
        entityId: id,
        changes: { rows: { from: null, to: count }, format: { from: null, to: format } },
      });
    });
  }
}
