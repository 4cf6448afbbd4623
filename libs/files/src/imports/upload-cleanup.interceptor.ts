import { unlink } from 'node:fs/promises';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable, finalize } from 'rxjs';

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
