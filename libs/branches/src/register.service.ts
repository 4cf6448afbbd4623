import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AccessResource, AccessService, AuthUser } from '@app/auth';
import { AuditService } from '@app/core';
import { downloadHeaders, PdfWriter, writeTable } from '@app/files';
import { MeetingAttendance } from './entities/meeting-attendance.entity.js';
import { MeetingsService } from './meetings.service.js';
import { MeetingType } from './branches.enums.js';
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

  async rows(
    actor: AuthUser,
    id: string,
  ): Promise<{ name: string; title: string; subtitle: string; place: string; rows: string[][] }> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [id]);
    const m = await this.meetings.load(id);
    const [invitees, attendance] = await Promise.all([
      this.meetings.invitees(m),
      this.dataSource.manager.find(MeetingAttendance, { where: { meetingId: id } }),
    ]);
    const present = new Set(attendance.map((a) => a.memberId));
    const subject =
      m.type === MeetingType.Structure
        ? `${(m.structureKind ?? '').toUpperCase()} meeting`
        : m.type.toUpperCase();
    return {
      name: `register-${m.type}-${m.wardCode ?? m.structureKind ?? ''}-${m.scheduledOn}`,
      title: 'Attendance register',
      subtitle: `${subject}${m.wardCode ? ` of ward ${m.wardCode}` : ''} on ${m.scheduledOn}`,
      place: m.place,
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

  async write(
    actor: AuthUser,
    id: string,
    format: 'csv' | 'xlsx' | 'pdf',
    res: Response,
  ): Promise<void> {
    const { name, title, subtitle, place, rows } = await this.rows(actor, id);
    if (format === 'pdf') {
      res.set({
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${name}.pdf"`,
        'Cache-Control': 'no-store',
      });
      const pdf = await PdfWriter.open(res, { title, subtitle });
      pdf.fields([
        ['Place', place],
        ['Invited', String(rows.length)],
      ]);
      const count = await pdf.table(
        [
          { header: 'Membership number', weight: 1.3 },
          { header: 'Surname', weight: 1.4 },
          { header: 'First names', weight: 1.6 },
          { header: 'Status', weight: 1 },
          { header: 'Present', weight: 0.7 },
          { header: 'Signature', weight: 2 },
        ],
        rows,
        { minRowHeight: 22 },
      );
      await this.audit.record({
        action: 'branches.register_downloaded',
        entityType: 'branch_meeting',
        entityId: id,
        changes: { rows: { from: null, to: count }, format: { from: null, to: format } },
      });
      await pdf.end();
      return;
    }
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
