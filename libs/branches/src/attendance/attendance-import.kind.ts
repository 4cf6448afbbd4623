import { Injectable, OnModuleInit } from '@nestjs/common';
import { todayInSouthAfrica } from '@app/core';
import { compiledModule, ImportKindRegistry } from '@app/files';
import { MeetingsService } from '../meetings.service.js';
import {
  ATTENDANCE_REPORT_COLUMNS,
  AttendanceImportContext,
  mapAttendanceHeaders,
} from './attendance-import.worker.js';

/** The row kind of a meeting's attendance register (POST /meetings/{id}/attendance/imports). */
export const ATTENDANCE_IMPORT_KIND = 'attendance';

/**
 * Registers the attendance register as the import engine's `attendance` row kind: its rows run on the worker
 * thread in attendance-import.worker.ts; here, on the main thread, the context each job starts with (the
 * meeting's invitees on its date, today).
 */
@Injectable()
export class AttendanceImportKind implements OnModuleInit {
  constructor(
    private readonly kinds: ImportKindRegistry,
    private readonly meetings: MeetingsService,
  ) {}

  onModuleInit(): void {
    this.kinds.register<AttendanceImportContext>({
      kind: ATTENDANCE_IMPORT_KIND,
      workerModule: compiledModule(import.meta.dirname, 'attendance-import.worker.js'),
      mapHeaders: mapAttendanceHeaders,
      templateHint:
        'a header row with a "Membership Number" column (other columns, names included, are ignored)',
      reportColumns: ATTENDANCE_REPORT_COLUMNS,
      audit: {
        entityType: 'branch_meeting_attendance_import',
        actionPrefix: 'branches.attendance_import',
      },
      context: async (job) => {
        const meeting = await this.meetings.load(String(job.parameters.meetingId));
        const invitees = await this.meetings.invitees(meeting);
        return {
          meetingId: meeting.id,
          today: todayInSouthAfrica(),
          invitees: invitees.map((i): [string, string] => [i.membershipNumber, i.id]),
        };
      },
    });
  }
}
