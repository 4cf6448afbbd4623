/** The checkout a browser posts to the gateway's hosted payment page. */
export interface HostedCheckout {
  processUrl: string;
  /** Form fields in the order the gateway signs them, signature last. */
  fields: Record<string, string>;
}

export interface CheckoutRequest {
  /** Our reference (unique per provider): the gateway echoes it in its notification. */
  reference: string;
  amountCents: number;
  itemName: string;
  /** Our payment id, echoed back (custom_str1 at PayFast). */
  paymentId: string;
}

/** A gateway notification that passed every check the gateway documents. */
export interface VerifiedNotification {
  reference: string;
  paymentId: string | null;
  providerPaymentId: string;
  amountCents: number;
  outcome: 'complete' | 'failed' | 'pending';
}

/** Why a notification was refused (logged; nothing changes). */
export class NotificationRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * A card gateway: creates hosted checkouts (card data is entered on the gateway's page, never here) and checks
 * its server-to-server notifications. One adapter: PayFast.
 */
export interface PaymentGateway {
  readonly provider: string;
  configured(): boolean;
  checkout(request: CheckoutRequest): HostedCheckout;
  /**
   * Checks a notification as the gateway documents (signature, source, confirmation with the gateway) and
   * returns what it says; `expected` resolves our payment by reference for the amount check. Throws
   * NotificationRefused on any failure.
   */
  verifyNotification(
    fields: Record<string, string>,
    sourceIp: string | null,
    expectedAmountCents: (reference: string) => Promise<number | null>,
  ): Promise<VerifiedNotification>;
}

export const PAYMENT_GATEWAY = Symbol('PAYMENT_GATEWAY');
