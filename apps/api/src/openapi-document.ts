import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  AppConfig,
  applyGlobalPrefix,
  buildOpenApiDocument,
  renderOpenApiDocument,
} from '@app/core';
import { AppModule } from './app.module.js';

/** Never connected to: in preview mode Nest builds the module graph without instantiating providers. */
const UNUSED_DATABASE_URL = 'postgres://openapi@127.0.0.1:1/openapi';

/**
 * The document the running app serves at /docs-json, built without a database or Redis: Nest's preview mode
 * registers modules, controllers and their metadata but instantiates no provider, so nothing connects.
 */
export async function generateOpenApiDocument(config: AppConfig): Promise<string> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, UNUSED_DATABASE_URL),
    { preview: true, logger: false, abortOnError: false, bodyParser: false },
  );
  // No app.close(): it would run shutdown hooks on providers preview mode never constructed. Nothing was opened
  // (no listener, no pool); the CLI exits when done.
  applyGlobalPrefix(app);
  return renderOpenApiDocument(buildOpenApiDocument(app));
}
