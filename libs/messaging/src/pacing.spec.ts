import { MessageChannel } from './outbox-message.entity.js';
import { pacedBatchMs } from './pacing.js';

describe('pacedBatchMs', () => {
  const counts = (sms: number, email: number): Record<MessageChannel, number> => ({
    [MessageChannel.Sms]: sms,
    [MessageChannel.Email]: email,
  });

  it('is 0 when no channel has a rate', () => {
    expect(pacedBatchMs(counts(50, 50), counts(0, 0))).toBe(0);
  });

  it("is the slowest channel's count over its rate; a channel without a rate does not count", () => {
    expect(pacedBatchMs(counts(50, 0), counts(100, 0))).toBe(500);
    expect(pacedBatchMs(counts(20, 30), counts(100, 10))).toBe(3000);
    expect(pacedBatchMs(counts(20, 30), counts(10, 0))).toBe(2000);
    expect(pacedBatchMs(counts(0, 0), counts(10, 10))).toBe(0);
  });
});
