import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiResponse } from '@nestjs/swagger';
import type { Type } from '@nestjs/common';

/** The media types of the files the API takes and gives. */
export const FileMediaType = {
  Csv: 'text/csv',
  Xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  Pdf: 'application/pdf',
} as const;
export type FileMediaType = (typeof FileMediaType)[keyof typeof FileMediaType];

const BINARY = { type: 'string', format: 'binary' } as const;

export interface ApiFileResponseOptions {
  description: string;
  status?: HttpStatus;
}

/**
 * A download: the answer is a file in one of mediaTypes (a binary string, so generated clients return a Blob).
 * E.g. `@ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], { description: 'The export' })`.
 */
export function ApiFileResponse(
  mediaTypes: FileMediaType[],
  { description, status = HttpStatus.OK }: ApiFileResponseOptions,
): MethodDecorator {
  return applyDecorators(
    ApiResponse({
      status,
      description,
      content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: BINARY }])),
    }),
  );
}

/**
 * An upload: a multipart/form-data body described by form, whose file parts are declared
 * `@ApiProperty({ type: 'string', format: 'binary' })` (generated clients take a Blob or File there).
 */
export function ApiMultipartBody(form: Type): MethodDecorator {
  return applyDecorators(ApiConsumes('multipart/form-data'), ApiBody({ type: form }));
}
