import { Logger } from '@nestjs/common';
import {
  EmailSender,
  maskRecipient,
  OutgoingMessage,
  ProviderReceipt,
  SmsSender,
} from './channel-ports.js';

/** Email when no SMTP_URL is configured: logged (recipient masked, body never), not sent. */
export class LogEmailSender extends EmailSender {
  readonly name = 'log';
  private readonly logger = new Logger('LogEmailSender');

  send(message: OutgoingMessage): Promise<ProviderReceipt> {
    this.logger.warn(
      `No SMTP_URL: email ${message.id} to ${maskRecipient(message.recipient)} not sent`,
    );
    return Promise.resolve({ providerMessageId: `log:${message.id}` });
  }
}

/** SMS when SMS_PROVIDER=log: logged (recipient masked, body never), not sent. */
export class LogSmsSender extends SmsSender {
  readonly name = 'log';
  private readonly logger = new Logger('LogSmsSender');

  send(message: OutgoingMessage): Promise<ProviderReceipt> {
    this.logger.warn(
      `SMS_PROVIDER=log: SMS ${message.id} to ${maskRecipient(message.recipient)} not sent`,
    );
    return Promise.resolve({ providerMessageId: `log:${message.id}` });
  }
}
