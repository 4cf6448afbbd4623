import http from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type Express, type Response } from 'express';
import { sharedJson, type SerialisedJson } from './serialised-json.js';

/**
 * A constructor for Node's `IncomingMessage`/`ServerResponse` (plain constructor functions, not classes) whose
 * instances have `prototype` from the start. Calling the base as a function on `this` keeps V8's ordinary `new`
 * path: `Reflect.construct` with another `new.target`, tried first, made both constructors ~2-3x as costly.
 */
function constructingWith<C>(base: C, prototype: object): C {
  // Both take at most two arguments: IncomingMessage(socket), ServerResponse(req, options).
  const init = base as unknown as (this: object, a: unknown, b: unknown) => void;
  function Constructed(this: object, a: unknown, b: unknown): void {
    init.call(this, a, b);
  }
  Constructed.prototype = prototype;
  return Constructed as unknown as C;
}

/**
 * Express 5 gives every request and response its app's prototypes (`Object.setPrototypeOf` in `app.handle`), and
 * V8 copes badly with that: more allocated per request, and more of it surviving young-generation collections to
 * be promoted and freed only by mark-compacts (bench/README.md "API memory"). This adapter's HTTP server creates `req` and
 * `res` with those prototypes already, so Express's `setPrototypeOf` changes nothing. Plain HTTP only (TLS ends at
 * Nginx); Nest's `httpsOptions`, `forceCloseConnections` and `return503OnClosing` are not used (main.ts drains).
 */
export class ExpressAppAdapter extends ExpressAdapter {
  constructor() {
    // Set before anything touches the router (Express builds it lazily with these, and ExpressAdapter's own
    // constructor already adds a middleware): /METRICS and /metrics/ are not /metrics, so a proxy's path rules
    // (deploy/nginx) see the same routes the API serves.
    const app = express();
    app.set('case sensitive routing', true);
    app.set('strict routing', true);
    super(app);
  }

  override initHttpServer(): void {
    const app = this.getInstance<Express>();
    this.httpServer = http.createServer(
      {
        IncomingMessage: constructingWith(http.IncomingMessage, app.request),
        ServerResponse: constructingWith(http.ServerResponse, app.response),
      },
      app,
    );
  }

  /**
   * A shared answer (a cache entry, markShared) goes out as the bytes and ETag made when it was first sent:
   * what `res.json` would send, without serialising and hashing it again. Anything else, or a response whose
   * Content-Type a handler set, is Nest's usual reply.
   */
  override reply(response: Response, body: unknown, statusCode?: number): unknown {
    const app = this.getInstance<Express>();
    const serialised =
      response.getHeader('Content-Type') === undefined && !app.get('json escape')
        ? sharedJson(body, (value) => this.serialise(app, value))
        : undefined;
    if (!serialised) return super.reply(response, body, statusCode);
    if (statusCode !== undefined && statusCode !== null) response.status(statusCode);
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (serialised.etag) response.setHeader('ETag', serialised.etag);
    return response.send(serialised.body);
  }

  private serialise(app: Express, value: object): SerialisedJson {
    const replacer = app.get('json replacer') as Parameters<typeof JSON.stringify>[1];
    const spaces = app.get('json spaces') as string | number | undefined;
    const body = Buffer.from(JSON.stringify(value, replacer as never, spaces), 'utf8');
    const etagOf = app.get('etag fn') as ((body: Buffer) => string) | undefined;
    return { body, etag: etagOf?.(body) };
  }
}
