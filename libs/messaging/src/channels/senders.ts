import type { AppConfig } from '@app/core';
import { BulkSmsSender } from './bulksms.sms-sender.js';
import { EmailSender, SmsSender } from './channel-ports.js';
import { LogEmailSender, LogSmsSender } from './log.senders.js';
import { SmtpEmailSender } from './smtp.email-sender.js';

/** The email adapter the configuration chooses (the API and the `dispatch` worker alike). */
export function createEmailSender(config: AppConfig): EmailSender {
  return config.SMTP_URL
    ? new SmtpEmailSender(config.SMTP_URL, config.MAIL_FROM)
    : new LogEmailSender();
}

/** The SMS adapter the configuration chooses. */
export function createSmsSender(config: AppConfig): SmsSender {
  return config.SMS_PROVIDER === 'bulksms' && config.BULKSMS_TOKEN_ID && config.BULKSMS_TOKEN_SECRET
    ? new BulkSmsSender(
        config.BULKSMS_API_URL,
        config.BULKSMS_TOKEN_ID,
        config.BULKSMS_TOKEN_SECRET,
      )
    : new LogSmsSender();
}
