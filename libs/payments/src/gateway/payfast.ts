import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AddressAllowList, APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import {
  CheckoutRequest,
  HostedCheckout,
  NotificationRefused,
  PaymentGateway,
  VerifiedNotification,
} from './payment-gateway.port.js';

/**
 * PHP's urlencode(), which PayFast's signature is defined with: every byte but letters, digits and `-_.` is
 * percent-encoded in upper case, and a space becomes `+`.
 */
export function payfastEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The parameter string of a set of fields in the given order: `key=urlencode(value)` joined by `&`, without the
 * signature. Checkouts leave out empty fields and trim values; notifications sign every field as received.
 */
export function payfastParamString(
  fields: ReadonlyArray<readonly [string, string]>,
  options: { skipEmpty: boolean },
): string {
  return fields
    .filter(([key, value]) => key !== 'signature' && (!options.skipEmpty || value.trim() !== ''))
    .map(([key, value]) => `${key}=${payfastEncode(options.skipEmpty ? value.trim() : value)}`)
    .join('&');
}

/** MD5 (lower-case hex) of the parameter string with `&passphrase=` appended when one is set. */
export function payfastSignature(paramString: string, passphrase: string | undefined): string {
  const text = passphrase
    ? `${paramString}&passphrase=${payfastEncode(passphrase.trim())}`
    : paramString;
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The checkout fields PayFast signs, in its documented order. */
const CHECKOUT_ORDER = [
  'merchant_id',
  'merchant_key',
  'return_url',
  'cancel_url',
  'notify_url',
  'name_first',
  'name_last',
  'email_address',
  'cell_number',
  'm_payment_id',
  'amount',
  'item_name',
  'item_description',
  'custom_int1',
  'custom_str1',
] as const;

/** Cents as PayFast's amount: rands with two decimals ("10.00"). */
export function rands(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** "10.00" -> 1000; null when it is not an amount. */
export function centsOf(amount: string | undefined): number | null {
  if (!amount || !/^-?\d{1,9}(\.\d{1,2})?$/.test(amount)) return null;
  const [whole = '0', fraction = ''] = amount.replace('-', '').split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return amount.startsWith('-') ? -cents : cents;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The PayFast adapter (custom integration): hosted checkout fields signed with the passphrase, and the ITN
 * checks PayFast documents: (1) the signature over the posted fields in order with the passphrase, (2) the
 * source address is one of PayFast's (PAYFAST_SOURCE_RANGES, when PAYFAST_SOURCE_CHECK), (3) the amount matches
 * our payment, (4) PayFast confirms the data: the parameter string POSTed back to /eng/query/validate answers
 * VALID. Merchant id must be ours too.
 */
@Injectable()
export class PayFastGateway implements PaymentGateway {
  readonly provider = 'payfast';
  private readonly logger = new Logger(PayFastGateway.name);
  private readonly sources: AddressAllowList;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.sources = new AddressAllowList(
      config.PAYFAST_SOURCE_RANGES.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }

  configured(): boolean {
    return Boolean(this.config.PAYFAST_MERCHANT_ID && this.config.PAYFAST_MERCHANT_KEY);
  }

  checkout(request: CheckoutRequest): HostedCheckout {
    const values: Record<string, string> = {
      merchant_id: this.config.PAYFAST_MERCHANT_ID ?? '',
      merchant_key: this.config.PAYFAST_MERCHANT_KEY ?? '',
      return_url: this.config.PAYFAST_RETURN_URL,
      cancel_url: this.config.PAYFAST_CANCEL_URL,
      notify_url: this.config.PAYFAST_NOTIFY_URL,
      m_payment_id: request.reference,
      amount: rands(request.amountCents),
      item_name: request.itemName,
      custom_str1: request.paymentId,
    };
    const ordered = CHECKOUT_ORDER.filter((k) => (values[k] ?? '').trim() !== '').map(
      (k) => [k, (values[k] ?? '').trim()] as const,
    );
    const signature = payfastSignature(
      payfastParamString(ordered, { skipEmpty: true }),
      this.config.PAYFAST_PASSPHRASE,
    );
    return {
      processUrl: this.config.PAYFAST_PROCESS_URL,
      fields: { ...Object.fromEntries(ordered), signature },
    };
  }

  async verifyNotification(
    fields: Record<string, string>,
    sourceIp: string | null,
    expectedAmountCents: (reference: string) => Promise<number | null>,
  ): Promise<VerifiedNotification> {
    if (!this.configured()) throw new NotificationRefused('PayFast is not configured');
    const entries = Object.entries(fields);
    if (entries.some(([, v]) => typeof v !== 'string'))
      throw new NotificationRefused('malformed fields');
    // 1. Signature over every posted field but the signature, in the order received, with the passphrase.
    const paramString = payfastParamString(entries, { skipEmpty: false });
    const expected = payfastSignature(paramString, this.config.PAYFAST_PASSPHRASE);
    if (!fields.signature || !sameText(fields.signature.toLowerCase(), expected))
      throw new NotificationRefused('invalid signature');
    // 2. Source address.
    if (this.config.PAYFAST_SOURCE_CHECK && !this.sources.allows(sourceIp ?? undefined))
      throw new NotificationRefused(`bad source address ${sourceIp ?? 'unknown'}`);
    if (fields.merchant_id !== this.config.PAYFAST_MERCHANT_ID)
      throw new NotificationRefused('merchant id mismatch');
    const reference = fields.m_payment_id ?? '';
    const providerPaymentId = fields.pf_payment_id ?? '';
    if (!reference || !/^[\w-]{1,64}$/.test(providerPaymentId))
      throw new NotificationRefused('missing m_payment_id or pf_payment_id');
    // 3. Amount matches our payment.
    const ours = await expectedAmountCents(reference);
    if (ours === null) throw new NotificationRefused('unknown payment');
    const gross = centsOf(fields.amount_gross);
    if (gross === null || gross !== ours) throw new NotificationRefused('amount mismatch');
    // 4. PayFast confirms it sent this data.
    await this.confirmWithPayFast(paramString);
    const status = fields.payment_status;
    const outcome =
      status === 'COMPLETE'
        ? 'complete'
        : status === 'FAILED' || status === 'CANCELLED'
          ? 'failed'
          : status === 'PENDING'
            ? 'pending'
            : null;
    if (!outcome) throw new NotificationRefused(`unknown payment_status ${status ?? ''}`);
    return {
      reference,
      paymentId: fields.custom_str1 ?? null,
      providerPaymentId,
      amountCents: gross,
      outcome,
    };
  }

  private async confirmWithPayFast(paramString: string): Promise<void> {
    let answer: string;
    try {
      const res = await fetch(this.config.PAYFAST_VALIDATE_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: paramString,
        signal: AbortSignal.timeout(10_000),
      });
      answer = (await res.text()).trim();
    } catch (error) {
      this.logger.warn({ err: error }, 'PayFast validate endpoint unreachable');
      throw new NotificationRefused('validate endpoint unreachable');
    }
    if (answer !== 'VALID')
      throw new NotificationRefused(`PayFast answered ${answer.slice(0, 20)}`);
  }
}
