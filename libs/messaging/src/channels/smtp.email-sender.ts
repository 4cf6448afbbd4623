import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import {
  EmailSender,
  OutgoingMessage,
  PermanentDeliveryError,
  ProviderReceipt,
} from './channel-ports.js';

/** Email over SMTP (nodemailer). The Message-ID derives from the outbox id, so a redelivery is recognisable. */
export class SmtpEmailSender extends EmailSender {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    super();
    this.transport = nodemailer.createTransport(smtpUrl, {
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const messageId = `<${message.id}@outbox.eff-membership>`;
    try {
      await this.transport.sendMail({
        from: this.from,
        to: message.recipient,
        subject: message.subject ?? '',
        text: message.body,
        messageId,
        ...(message.headers ? { headers: message.headers } : {}),
      });
    } catch (error: unknown) {
      const code = (error as { responseCode?: number }).responseCode;
      // 5xx: the server refused the message or recipient for good; 4xx and network errors may pass.
      if (typeof code === 'number' && code >= 500 && code < 600)
        throw new PermanentDeliveryError(`SMTP ${code}`);
      throw error;
    }
    return { providerMessageId: messageId };
  }

  override close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}
