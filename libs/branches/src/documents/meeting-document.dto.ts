import { ApiProperty } from '@nestjs/swagger';
import { Allow, IsEnum } from 'class-validator';
import { DocumentMediaType } from '@app/files';
import { MeetingDocumentKind } from './meeting-document.entity.js';

export class MeetingDocumentUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The document: a PDF (recognised by its bytes), at most DOCUMENT_MAX_BYTES; its file name and part type must agree',
  })
  @Allow()
  file?: unknown;

  @ApiProperty({ enum: MeetingDocumentKind, enumName: 'MeetingDocumentKind' })
  @IsEnum(MeetingDocumentKind)
  kind!: MeetingDocumentKind;
}

export class MeetingDocumentDto {
  @ApiProperty({
    format: 'uuid',
    description: 'This version (GET …/documents/{docId} downloads it)',
  })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  meetingId!: string;

  @ApiProperty({ enum: MeetingDocumentKind, enumName: 'MeetingDocumentKind' })
  kind!: MeetingDocumentKind;

  @ApiProperty({ description: '1, 2, … per kind' })
  version!: number;

  @ApiProperty({ description: 'The newest version of its kind' })
  latest!: boolean;

  @ApiProperty({ description: 'Lower-case hex SHA-256 of the file (also its download ETag)' })
  sha256!: string;

  @ApiProperty()
  sizeBytes!: number;

  @ApiProperty({ enum: DocumentMediaType, enumName: 'DocumentMediaType' })
  mediaType!: DocumentMediaType;

  @ApiProperty({ description: 'The uploaded file name, sanitised' })
  fileName!: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  uploadedBy!: string | null;

  @ApiProperty()
  uploadedAt!: Date;
}
