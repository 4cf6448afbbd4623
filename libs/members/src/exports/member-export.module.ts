import { Module } from '@nestjs/common';
import { MemberExportController } from './member-export.controller.js';
import { MemberExportService } from './member-export.service.js';

@Module({
  controllers: [MemberExportController],
  providers: [MemberExportService],
  exports: [MemberExportService],
})
export class MemberExportModule {}
