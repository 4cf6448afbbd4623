import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { DocumentMediaType } from '@app/files';

export class ReceiptUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The receipt: PDF, JPEG or PNG (recognised by its bytes), at most DOCUMENT_MAX_BYTES; its file name and part type must agree with its bytes',
  })
  @Allow()
  file?: unknown;
}

/** A payment's receipt, without its bytes (GET /payments/{id}/receipt downloads them). */
export class ReceiptDto {
  @ApiProperty({ format: 'uuid' })
  paymentId!: string;

  @ApiProperty({ format: 'uuid' })
  documentId!: string;

  @ApiProperty({ description: 'Lower-case hex SHA-256 of the file (also its download ETag)' })
  sha256!: string;

  @ApiProperty()
  sizeBytes!: number;

  @ApiProperty({ enum: DocumentMediaType, enumName: 'DocumentMediaType' })
  mediaType!: DocumentMediaType;

  @ApiProperty({ description: 'The uploaded file name, sanitised' })
  fileName!: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  attachedBy!: string | null;

  @ApiProperty()
  attachedAt!: Date;
}
