import http from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type Express } from 'express';

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
}
