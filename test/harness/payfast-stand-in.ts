import { createHash, randomInt } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local stand-in for PayFast (custom integration), written from PayFast's documentation and independent of the
 * API's adapter:
 * - POST /eng/process: the hosted checkout. Checks the merchant and the MD5 signature of the posted fields
 *   (non-empty fields in the posted order, values trimmed and urlencoded PHP-style, `&passphrase=` appended).
 * - The ITN: `notify()` POSTs the documented notification fields, signed the same way over every field, to the
 *   checkout's notify_url.
 * - POST /eng/query/validate: answers VALID when the posted parameter string is exactly one this stand-in sent
 *   as an ITN, else INVALID.
 */

/** PHP urlencode(): letters, digits and -_. stay; space is +; everything else %XX in upper case. */
function phpUrlencode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function paramString(pairs: [string, string][], skipEmpty: boolean): string {
  return pairs
    .filter(([k, v]) => k !== 'signature' && (!skipEmpty || v.trim() !== ''))
    .map(([k, v]) => `${k}=${phpUrlencode(skipEmpty ? v.trim() : v)}`)
    .join('&');
}

function sign(text: string, passphrase: string): string {
  return createHash('md5')
    .update(passphrase ? `${text}&passphrase=${phpUrlencode(passphrase)}` : text)
    .digest('hex');
}

export interface PayFastCheckout {
  fields: Record<string, string>;
  pfPaymentId: string;
}

export interface ItnOptions {
  status?: 'COMPLETE' | 'FAILED' | 'CANCELLED' | 'PENDING';
  /** Report this gross amount (rands, e.g. "1.00") instead of the checkout's. */
  amountGross?: string;
  /** Change a field after signing (a tampered notification). */
  tamper?: Record<string, string>;
  /** Sign with this passphrase instead (a forger who does not know ours). */
  passphrase?: string;
  /** Do not register the notification as sent (validate will answer INVALID): a forgery PayFast never sent. */
  unsent?: boolean;
  /** X-Forwarded-For to send (the API trusts it from loopback): a notification from another address. */
  forwardedFor?: string;
}

export interface PayFastStandIn {
  /** As PAYFAST_PROCESS_URL and PAYFAST_VALIDATE_URL. */
  processUrl: string;
  validateUrl: string;
  /** Parameter strings the validate endpoint was asked about. */
  validations: string[];
  /** Deliver ITNs to this origin instead of notify_url's (the API's test port), keeping notify_url's path. */
  deliverTo(origin: string): void;
  /** The buyer pays on the hosted page: checks the checkout form as PayFast does; throws when it is refused. */
  pay(fields: Record<string, string>): Promise<PayFastCheckout>;
  /** PayFast's ITN for a checkout, POSTed to its notify_url; resolves with the API's status and body. */
  notify(
    checkout: PayFastCheckout,
    options?: ItnOptions,
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export async function startPayFastStandIn(merchant: {
  merchantId: string;
  merchantKey: string;
  passphrase: string;
}): Promise<PayFastStandIn> {
  const sent = new Set<string>();
  let origin: string | null = null;
  const validations: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/eng/query/validate') {
        validations.push(text);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(sent.has(text) ? 'VALID' : 'INVALID');
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    processUrl: `${base}/eng/process`,
    validateUrl: `${base}/eng/query/validate`,
    validations,
    deliverTo(o) {
      origin = o;
    },
    pay(fields) {
      const pairs = Object.entries(fields);
      if (
        fields.merchant_id !== merchant.merchantId ||
        fields.merchant_key !== merchant.merchantKey
      )
        return Promise.reject(new Error('PayFast: unknown merchant'));
      const expected = sign(paramString(pairs, true), merchant.passphrase);
      if (fields.signature !== expected)
        return Promise.reject(
          new Error('PayFast: Generated signature does not match submitted signature'),
        );
      if (!/^\d+\.\d{2}$/.test(fields.amount ?? ''))
        return Promise.reject(new Error('PayFast: bad amount'));
      return Promise.resolve({ fields, pfPaymentId: String(randomInt(1_000_000, 9_999_999)) });
    },
    async notify(checkout, options = {}) {
      const f = checkout.fields;
      const gross = options.amountGross ?? f.amount ?? '0.00';
      const fee = '-2.30';
      const net = (Number(gross) + Number(fee)).toFixed(2);
      const pairs: [string, string][] = [
        ['m_payment_id', f.m_payment_id ?? ''],
        ['pf_payment_id', checkout.pfPaymentId],
        ['payment_status', options.status ?? 'COMPLETE'],
        ['item_name', f.item_name ?? ''],
        ['item_description', f.item_description ?? ''],
        ['amount_gross', gross],
        ['amount_fee', fee],
        ['amount_net', net],
        ['custom_str1', f.custom_str1 ?? ''],
        ['custom_str2', ''],
        ['custom_str3', ''],
        ['custom_str4', ''],
        ['custom_str5', ''],
        ['custom_int1', ''],
        ['custom_int2', ''],
        ['custom_int3', ''],
        ['custom_int4', ''],
        ['custom_int5', ''],
        ['name_first', 'Test'],
        ['name_last', 'Buyer & Co'],
        ['email_address', 'buyer@example.com'],
        ['merchant_id', merchant.merchantId],
      ];
      const unsigned = paramString(pairs, false);
      const signature = sign(unsigned, options.passphrase ?? merchant.passphrase);
      if (!options.unsent) sent.add(unsigned);
      const posted = pairs.map(([k, v]): [string, string] => [k, options.tamper?.[k] ?? v]);
      posted.push(['signature', signature]);
      const body = posted.map(([k, v]) => `${k}=${phpUrlencode(v)}`).join('&');
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
      };
      if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
      const target = new URL(f.notify_url ?? '');
      const url = origin ? `${origin}${target.pathname}` : target.toString();
      const res = await fetch(url, { method: 'POST', headers, body });
      const answer = await res.text();
      let parsed: unknown = answer;
      try {
        parsed = JSON.parse(answer);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
