import {
  OutgoingMessage,
  PermanentDeliveryError,
  ProviderReceipt,
  SmsSender,
} from './channel-ports.js';

/** One message object of the BulkSMS JSON REST API (the send answer and the webhook both carry them). */
export interface BulkSmsMessage {
  id?: unknown;
  userSuppliedId?: unknown;
  status?: { type?: unknown; subtype?: unknown } | null;
}

/** BulkSMS status types that end a message's journey; the others (ACCEPTED, SCHEDULED, SENT) are in transit. */
export const BULKSMS_DELIVERED = 'DELIVERED';
export const BULKSMS_FINAL_FAILURES = ['FAILED'] as const;

/**
 * SMS through the BulkSMS JSON REST API: `POST {base}/messages` with HTTP Basic auth (API token id and
 * secret), body `{ to, body, encoding, userSuppliedId }`; the answer (201) is an array of message objects whose
 * `id` later delivery reports name. `userSuppliedId` carries the outbox id.
 */
export class BulkSmsSender extends SmsSender {
  readonly name = 'bulksms';
  private readonly authorization: string;

  constructor(
    private readonly baseUrl: string,
    tokenId: string,
    tokenSecret: string,
    private readonly timeoutMs = 15_000,
  ) {
    super();
    this.authorization = `Basic ${Buffer.from(`${tokenId}:${tokenSecret}`).toString('base64')}`;
  }

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/messages`, {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({
        to: message.recipient,
        body: message.body,
        // GSM-7 text goes as TEXT; anything else needs UNICODE (UCS-2) or the gateway mangles it.
        encoding: isGsm7(message.body) ? 'TEXT' : 'UNICODE',
        userSuppliedId: message.id,
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status === 429 || response.status >= 500)
      throw new Error(`BulkSMS answered ${response.status}`);
    if (!response.ok) {
      const text = (await response.text()).slice(0, 300);
      throw new PermanentDeliveryError(`BulkSMS refused the message: ${response.status} ${text}`);
    }
    const answer = await response.json();
    const first = Array.isArray(answer) ? (answer[0] as BulkSmsMessage | undefined) : undefined;
    if (!first || (typeof first.id !== 'string' && typeof first.id !== 'number'))
      throw new Error('BulkSMS answered without a message id');
    return { providerMessageId: String(first.id) };
  }
}

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';

/** Whether the text fits the GSM 03.38 alphabet (basic set and extension table). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC.includes(ch) && !GSM7_EXTENDED.includes(ch)) return false;
  return true;
}
