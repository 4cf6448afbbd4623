import { MessageChannel } from './outbox-message.entity.js';

/**
 * How long a batch must take so that no channel goes over its rate (messages per second; 0 = no limit): the
 * slowest channel's count ÷ rate, in ms.
 */
export function pacedBatchMs(
  counts: Readonly<Record<MessageChannel, number>>,
  perSecond: Readonly<Record<MessageChannel, number>>,
): number {
  return Math.max(
    0,
    ...Object.values(MessageChannel).map((channel) =>
      perSecond[channel] > 0 ? (counts[channel] / perSecond[channel]) * 1000 : 0,
    ),
  );
}
