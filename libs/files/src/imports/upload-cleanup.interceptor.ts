import { unlink } from 'node:fs/promises';
import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Request } from 'express';
import { Observable, finalize } from 'rxjs';
import { ApiMultipartBody } from '@app/core';

/**
 * Deletes the uploaded file once the request is answered, whatever the answer: a 400 from validation (which
 * runs after multer wrote the file), a refused file, an error. A file the service took over for its job was
 * moved out of `incoming/` already, so this only ever removes what nobody kept. Placed after FileInterceptor.
 */
@Injectable()
export class UploadCleanupInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { file?: { path?: string } }>();
    return next.handle().pipe(
      finalize(() => {
        const file = request.file?.path;
        if (file) void unlink(file).catch(() => undefined);
      }),
    );
  }
}

/**
 * The multipart body of an upload route (imports, documents): its one file part `file`, taken by multer with the
 * options the owning module registered (MulterModule.registerAsync) and deleted once the request is answered
 * (UploadCleanupInterceptor); `form` documents the body.
 */
export function UploadedFileBody(form: Type): MethodDecorator {
  return applyDecorators(
    UseInterceptors(FileInterceptor('file'), UploadCleanupInterceptor),
    ApiMultipartBody(form),
  );
}
