import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, applyGlobalPrefix, buildOpenApiDocument } from '@app/core';
import { AppModule } from './app.module.js';

/** Never connected to: in preview mode Nest builds the module graph without instantiating providers. */
const UNUSED_DATABASE_URL = 'postgres://openapi@127.0.0.1:1/openapi';

/** Objects with their keys sorted (recursively), so the committed document diffs stably. Arrays keep order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** The document as committed in openapi.json: sorted keys, two-space indent, trailing newline. */
export function renderOpenApiDocument(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

/**
 * The document the running app serves at /docs-json, built without a database or Redis: Nest's preview mode
 * registers modules, controllers and their metadata but instantiates no provider, so nothing connects.
 */
export async function generateOpenApiDocument(config: AppConfig): Promise<string> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, UNUSED_DATABASE_URL),
    { preview: true, logger: false, abortOnError: false, bodyParser: false },
  );
  try {
    applyGlobalPrefix(app);
    return renderOpenApiDocument(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}
