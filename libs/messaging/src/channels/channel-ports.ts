/** What a provider adapter is given to deliver. `id` is the outbox id: the idempotency key of the message. */
export interface OutgoingMessage {
  id: string;
  recipient: string;
  subject: string | null;
  body: string;
  /** Extra mail headers (List-Unsubscribe of campaign and reminder emails); SMS adapters ignore them. */
  headers?: Record<string, string>;
}

export interface ProviderReceipt {
  /** The provider's id of the message (delivery reports name it). */
  providerMessageId: string;
}

/** A delivery the provider refused for good (bad address, rejected content): retrying cannot help. */
export class PermanentDeliveryError extends Error {}

/** Port of the email channel; the DI token is the class itself. */
export abstract class EmailSender {
  abstract readonly name: string;
  abstract send(message: OutgoingMessage): Promise<ProviderReceipt>;
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Port of the SMS channel; the DI token is the class itself. */
export abstract class SmsSender {
  abstract readonly name: string;
  abstract send(message: OutgoingMessage): Promise<ProviderReceipt>;
}

/** Masks a recipient for logs: the domain of an address, the last three digits of a number. */
export function maskRecipient(recipient: string): string {
  const at = recipient.indexOf('@');
  if (at > 0) return `***${recipient.slice(at)}`;
  return `***${recipient.slice(-3)}`;
}
