import { MemberLifecycleService } from './member-lifecycle.service.js';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { ApplicationsController } from './applications/applications.controller.js';
import { ApplicationsService } from './applications/applications.service.js';
import { MEMBERS_ENTITIES } from './entities/index.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';
import { RegistrationConflictsController } from './registration-conflicts/registration-conflicts.controller.js';
import { RegistrationConflictsService } from './registration-conflicts/registration-conflicts.service.js';
import { StatusRecalculationService } from './status-recalculation.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(MEMBERS_ENTITIES), GeographyModule, ScheduleModule.forRoot()],
  controllers: [MembersController, ApplicationsController, RegistrationConflictsController],
  providers: [
    MembersService,
    MemberLifecycleService,
    ApplicationsService,
    StatusRecalculationService,
    RegistrationConflictsService,
  ],
  exports: [
    MembersService,
    MemberLifecycleService,
    ApplicationsService,
    StatusRecalculationService,
  ],
})
export class MembersModule {}
