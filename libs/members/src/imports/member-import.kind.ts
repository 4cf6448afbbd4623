import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AuditService, MetricsService, todayInSouthAfrica } from '@app/core';
import type { AppConfig } from '@app/core';
import { compiledModule, ImportJob, ImportKindRegistry } from '@app/files';
import { GeographyService } from '@app/geography';
import { membershipPolicy } from '../membership-dates.js';
import { conflictCounter } from '../registration-conflicts/registration-conflicts.js';
import { mapHeaders } from './import-columns.js';
import { MEMBER_REPORT_COLUMNS, MemberImportContext } from './member-import.worker.js';
import type { MemberImportEvent } from './row-writer.js';

/** The row kind of the member register (POST /members/imports). */
export const MEMBER_IMPORT_KIND = 'members';

/**
 * Registers the member register as the import engine's `members` row kind: its rows run on the worker thread in
 * member-import.worker.ts; here, on the main thread, the context each job starts with (wards, today, the
 * membership policy, the conflict limit) and the registration conflicts the writer reports (counted, and audited
 * when the limit is reached).
 */
@Injectable()
export class MemberImportKind implements OnModuleInit {
  constructor(
    private readonly kinds: ImportKindRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const conflicts = conflictCounter(this.metrics);
    this.kinds.register<MemberImportContext>({
      kind: MEMBER_IMPORT_KIND,
      workerModule: compiledModule(import.meta.dirname, 'member-import.worker.js'),
      mapHeaders,
      templateHint: 'GET /api/v1/members/imports/template',
      reportColumns: MEMBER_REPORT_COLUMNS,
      audit: { entityType: 'member_import', actionPrefix: 'members.import' },
      context: async () => ({
        wards: await this.geography.wardChains(),
        today: todayInSouthAfrica(),
        policy: membershipPolicy(this.config),
        conflictLimit: this.config.REGISTRATION_CONFLICT_LIMIT,
      }),
      onEvent: (job: ImportJob, event: unknown) => {
        const e = event as MemberImportEvent;
        if (e.type === 'conflicts') {
          conflicts.inc({ outcome: 'recorded' }, e.recorded);
          return;
        }
        conflicts.inc({ outcome: 'limited' });
        if (!e.attempt) return;
        return this.audit.record({
          action: 'registration_conflict.limit_reached',
          entityType: 'member_import',
          entityId: job.id,
          actorUserId: job.uploadedBy,
          provinceCode: job.provinceCode,
          changes: e.attempt,
        });
      },
    });
  }
}
