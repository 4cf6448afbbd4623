// The realtime contract, from the file the server's gateway uses (libs/core/src/events): event names, payloads and
// the namespace. With socket.io-client: `io(`${origin}${REALTIME_NAMESPACE}`, { path: REALTIME_PATH, auth: { token } })`
// typed as `Socket<RealtimeServerEvents>`.
export { DomainEventType, type EventArea } from '../../core/src/events/event-types.js';
export {
  PROBLEM_EVENT,
  REALTIME_EVENT_TYPES,
  REALTIME_NAMESPACE,
  REALTIME_PATH,
  SESSION_ENDED_EVENT,
  type ApplicationDecidedPayload,
  type ApplicationFinanciallyReviewedPayload,
  type ApplicationSubmittedPayload,
  type DomainEventPayloads,
  type ImportProgressPayload,
  type LeadershipChangedPayload,
  type MemberCreatedPayload,
  type MemberStatusChangedPayload,
  type MemberTransferredPayload,
  type MemberUpdatedPayload,
  type RealtimeEventName,
  type RealtimeEventPayloads,
  type RealtimeEventType,
  type RealtimeMessage,
  type RealtimeProblemMessage,
  type RealtimeServerEvents,
  type SessionEndedMessage,
  type StatsUpdatedPayload,
} from '../../core/src/events/event-payloads.js';
