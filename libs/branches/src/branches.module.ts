import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { LeadershipModule } from '@app/leadership';
import { MembersModule } from '@app/members';
import { DelegatesController } from './delegates.controller.js';
import { DelegatesService } from './delegates.service.js';
import { MeetingDocumentsModule } from './documents/meeting-documents.module.js';
import { BRANCHES_ENTITIES } from './entities/index.js';
import { MeetingsController } from './meetings.controller.js';
import { MeetingsService } from './meetings.service.js';
import { RegisterService } from './register.service.js';
import { WardAuditController } from './ward-audit.controller.js';
import { WardAuditService } from './ward-audit.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature(BRANCHES_ENTITIES),
    GeographyModule,
    MembersModule,
    LeadershipModule,
    MeetingDocumentsModule,
  ],
  controllers: [MeetingsController, WardAuditController, DelegatesController],
  providers: [MeetingsService, WardAuditService, DelegatesService, RegisterService],
  exports: [MeetingsService, WardAuditService, DelegatesService],
})
export class BranchesModule {}
