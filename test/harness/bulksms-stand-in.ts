import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface GatewaySubmission {
  authorization: string | undefined;
  to: string;
  body: string;
  encoding: string;
  userSuppliedId: string;
  /** The id this stand-in gave the message. */
  id: string;
}

export interface BulkSmsStandIn {
  /** Base URL, as BULKSMS_API_URL. */
  url: string;
  submissions: GatewaySubmission[];
  /** The next N sends answer this status (e.g. 503) instead of accepting. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for the BulkSMS JSON REST API (POST /messages with Basic auth, answering 201 with an array of
 * message objects), checking the credentials it is given.
 */
export async function startBulkSmsStandIn(
  tokenId: string,
  tokenSecret: string,
): Promise<BulkSmsStandIn> {
  const submissions: GatewaySubmission[] = [];
  const expected = `Basic ${Buffer.from(`${tokenId}:${tokenSecret}`).toString('base64')}`;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let nextId = 7_000_000;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/messages')
        return reply(404, { title: 'Not found' });
      if (req.headers.authorization !== expected) return reply(401, { title: 'Unauthorized' });
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        return reply(failures.status, { title: 'Temporarily unavailable' });
      }
      const body = JSON.parse(text) as Omit<GatewaySubmission, 'id' | 'authorization'>;
      nextId += 1;
      const id = String(nextId);
      submissions.push({ ...body, authorization: req.headers.authorization, id });
      reply(201, [
        {
          id,
          type: 'SENT',
          from: null,
          to: body.to,
          body: body.body,
          encoding: body.encoding,
          userSuppliedId: body.userSuppliedId,
          status: { id: 'ACCEPTED.null', type: 'ACCEPTED', subtype: null },
        },
      ]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    submissions,
    failNext(count, status) {
      failures = { count, status };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
