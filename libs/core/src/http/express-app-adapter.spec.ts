import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Request } from 'express';
import { ExpressAppAdapter } from './express-app-adapter.js';
import { markShared } from './serialised-json.js';

const answer = (): { items: number[]; name: string; nested: { at: string } } => ({
  items: [1, 2, 3],
  name: 'Tshwane – ward 1 é',
  nested: { at: '2026-12-03' },
});
const shared = Object.freeze({
  ...answer(),
  items: Object.freeze(answer().items),
  nested: Object.freeze(answer().nested),
});
markShared(shared);

@Controller()
class ProbeController {
  @Get('probe')
  probe(@Req() req: Request): { protocol: string; path: string; json: boolean } {
    // Express's own request getters and response methods still answer.
    return { protocol: req.protocol, path: req.path, json: typeof req.res?.json === 'function' };
  }

  @Get('plain')
  plain(): object {
    return answer();
  }

  @Get('shared')
  shared(): object {
    return shared;
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('ExpressAppAdapter', () => {
  let app: NestExpressApplication;
  let base: string;
  const seen: { request: boolean; response: boolean }[] = [];

  beforeAll(async () => {
    app = await NestFactory.create<NestExpressApplication>(ProbeModule, new ExpressAppAdapter(), {
      logger: false,
    });
    const express: Express = app.getHttpAdapter().getInstance();
    const server: Server = app.getHttpServer();
    // Before Express handles the request (and would set the prototypes itself).
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) =>
      seen.push({
        request: Object.getPrototypeOf(req) === express.request,
        response: Object.getPrototypeOf(res) === express.response,
      }),
    );
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('creates each request and response with the Express prototypes, over keep-alive too', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${base}/probe`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ protocol: 'http', path: '/probe', json: true });
    }
    expect(seen).toEqual(Array(3).fill({ request: true, response: true }));
  });

  it('still answers Express-made errors (an unknown route is a 404)', async () => {
    const res = await fetch(`${base}/nothing-here`);
    expect(res.status).toBe(404);
  });

  it('sends a shared answer as res.json would: same bytes, type and ETag, and the same answer to If-None-Match', async () => {
    const plain = await fetch(`${base}/plain`);
    const plainBody = await plain.text();
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(`${base}/shared`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(plainBody);
      expect(res.headers.get('content-type')).toBe(plain.headers.get('content-type'));
      expect(res.headers.get('content-length')).toBe(plain.headers.get('content-length'));
      expect(res.headers.get('etag')).toBe(plain.headers.get('etag'));
    }
    const plainAgain = await fetch(`${base}/plain`, {
      headers: { 'if-none-match': plain.headers.get('etag') ?? '' },
    });
    const again = await fetch(`${base}/shared`, {
      headers: { 'if-none-match': plain.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(plainAgain.status);
    expect(await again.text()).toBe(await plainAgain.text());
    const head = await fetch(`${base}/shared`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
