import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, AppConfig } from '@app/core';
import { documentUploadOptions, DocumentsModule } from '@app/files';
import { MeetingDocumentsController } from './meeting-documents.controller.js';
import { MeetingDocumentsService } from './meeting-documents.service.js';

/** Meeting documents on the shared document store; its own module so its multer options apply to its routes only. */
@Module({
  imports: [
    DocumentsModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => documentUploadOptions(config),
    }),
  ],
  controllers: [MeetingDocumentsController],
  providers: [MeetingDocumentsService],
})
export class MeetingDocumentsModule {}
