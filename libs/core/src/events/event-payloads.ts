import { DomainEventType, type EventArea } from './event-types.js';

/**
 * The documented payload of every domain event, as sockets of the /realtime namespace receive it (the README
 * lists them too). Payloads carry ids, codes and statuses: never ID numbers, cell numbers, addresses or
 * email addresses. Clients that need more fetch the entity over HTTP (and scope rules apply there).
 */
export interface MemberCreatedPayload {
  memberId: string;
  membershipNumber: string;
  status: string;
  wardCode: string;
}

export interface MemberUpdatedPayload {
  memberId: string;
  membershipNumber: string;
  /** The member's new optimistic-locking version. */
  version: number;
  /** Names of the fields that changed (never their values). */
  changedFields: string[];
}

export interface MemberStatusChangedPayload {
  memberId: string;
  membershipNumber: string;
  from: string;
  to: string;
}

/** Sent to the new area's rooms and (via `previousArea`) the old area's rooms. */
export interface MemberTransferredPayload {
  memberId: string;
  membershipNumber: string;
  fromWardCode: string;
  toWardCode: string;
}

export interface ApplicationSubmittedPayload {
  applicationId: string;
  wardCode: string;
}

export interface ApplicationDecidedPayload {
  applicationId: string;
  decision: 'approved' | 'rejected';
  /** The member created on approval, else null. */
  memberId: string | null;
}

export interface ApplicationFinanciallyReviewedPayload {
  applicationId: string;
  wardCode: string;
  /** The verified joining-fee payment the review confirmed (fetch it over HTTP for amount and reference). */
  paymentId: string;
}

export interface LeadershipChangedPayload {
  structureId: string;
  positionId: string;
  appointmentId: string | null;
  change: 'appointed' | 'ended' | 'vacated';
}

/** Sent only to the user who started the import (`userId`). */
export interface ImportProgressPayload {
  importId: string;
  status: 'running' | 'completed' | 'failed';
  processed: number;
  total: number;
  failed: number;
}

/** Sent to every connected socket (`area` null): statistics were refreshed; re-read them over HTTP. */
export interface StatsUpdatedPayload {
  refreshedAt: string;
  views: string[];
}

/**
 * payment.recorded | payment.verified | payment.rejected, to the rooms of every scope containing the payment's
 * ward. No amounts, references or gateway ids in any room: sockets learn that something changed and fetch the
 * payment over HTTP, where payments:read and the scope rules apply.
 */
export interface PaymentChangedPayload {
  paymentId: string;
  memberId: string | null;
  applicationId: string | null;
  method: string;
  status: string;
  wardCode: string;
}

export interface MeetingChangedPayload {
  meetingId: string;
  type: 'bga' | 'bpa' | 'structure';
  structureId: string | null;
  change: 'scheduled' | 'held' | 'verified' | 'cancelled' | 'postponed';
}

export interface WardComplianceApprovedPayload {
  wardCode: string;
  approvalId: string;
  exception: boolean;
}

export interface DelegateSelectedPayload {
  delegateId: string;
  wardCode: string;
  assembly: 'srpa' | 'ppa' | 'npa';
  /** The delegate this one replaced, else null. */
  replacesId: string | null;
}

/** Internal: never sent to sockets as a message; the gateway closes the affected sockets. */
export interface SessionsRevokedPayload {
  reason: string;
}

export interface DomainEventPayloads {
  [DomainEventType.MemberCreated]: MemberCreatedPayload;
  [DomainEventType.MemberUpdated]: MemberUpdatedPayload;
  [DomainEventType.MemberStatusChanged]: MemberStatusChangedPayload;
  [DomainEventType.MemberTransferred]: MemberTransferredPayload;
  [DomainEventType.ApplicationSubmitted]: ApplicationSubmittedPayload;
  [DomainEventType.ApplicationDecided]: ApplicationDecidedPayload;
  [DomainEventType.ApplicationFinanciallyReviewed]: ApplicationFinanciallyReviewedPayload;
  [DomainEventType.LeadershipChanged]: LeadershipChangedPayload;
  [DomainEventType.ImportProgress]: ImportProgressPayload;
  [DomainEventType.StatsUpdated]: StatsUpdatedPayload;
  [DomainEventType.SessionsRevoked]: SessionsRevokedPayload;
  [DomainEventType.PaymentRecorded]: PaymentChangedPayload;
  [DomainEventType.PaymentVerified]: PaymentChangedPayload;
  [DomainEventType.PaymentRejected]: PaymentChangedPayload;
  [DomainEventType.MeetingChanged]: MeetingChangedPayload;
  [DomainEventType.WardComplianceApproved]: WardComplianceApprovedPayload;
  [DomainEventType.DelegateSelected]: DelegateSelectedPayload;
}

/** Event types delivered to sockets (everything but the internal auth.sessions_revoked). */
export type RealtimeEventType = Exclude<DomainEventType, DomainEventType.SessionsRevoked>;

export const REALTIME_EVENT_TYPES: readonly RealtimeEventType[] = [
  DomainEventType.MemberCreated,
  DomainEventType.MemberUpdated,
  DomainEventType.MemberStatusChanged,
  DomainEventType.MemberTransferred,
  DomainEventType.ApplicationSubmitted,
  DomainEventType.ApplicationDecided,
  DomainEventType.ApplicationFinanciallyReviewed,
  DomainEventType.LeadershipChanged,
  DomainEventType.ImportProgress,
  DomainEventType.StatsUpdated,
  DomainEventType.PaymentRecorded,
  DomainEventType.PaymentVerified,
  DomainEventType.PaymentRejected,
  DomainEventType.MeetingChanged,
  DomainEventType.WardComplianceApproved,
  DomainEventType.DelegateSelected,
];

/** A delivered event's name as a plain string ('member.created', …), as socket.io clients write it. */
export type RealtimeEventName = `${RealtimeEventType}`;

/** The payload of each delivered event, by name. */
export type RealtimeEventPayloads = {
  [K in RealtimeEventType as `${K}`]: DomainEventPayloads[K];
};

/** What a socket receives: `socket.on('member.created', (message: RealtimeMessage<'member.created'>) => …)`. */
export interface RealtimeMessage<T extends RealtimeEventName = RealtimeEventName> {
  type: T;
  /** ISO time the event happened (after its transaction committed). */
  occurredAt: string;
  /** Where the entity lives (codes only), null for stats.updated and import.progress. */
  area: EventArea | null;
  data: RealtimeEventPayloads[T];
}

/** A typed event for DomainEventBus.publish: `publish(domainEvent(DomainEventType.MemberCreated, area, {...}))`. */
export function domainEvent<T extends DomainEventType>(
  type: T,
  area: EventArea | null,
  payload: DomainEventPayloads[T],
  extra: { userId?: string; sessionIds?: string[]; previousArea?: EventArea | null } = {},
): {
  type: T;
  area: EventArea | null;
  payload: Record<string, unknown>;
  userId?: string;
  sessionIds?: string[];
  previousArea?: EventArea | null;
} {
  return { type, area, payload: { ...payload }, ...extra };
}

/** The socket.io namespace and path of the realtime API: `io(`${origin}${REALTIME_NAMESPACE}`, { path: REALTIME_PATH })`. */
export const REALTIME_NAMESPACE = '/realtime';
export const REALTIME_PATH = '/socket.io';

/** Sent to a socket just before the server closes it (token expired, or the session was revoked). */
export const SESSION_ENDED_EVENT = 'session.ended';
export interface SessionEndedMessage {
  reason: 'expired' | 'revoked';
}

/** Sent instead of acting on a message the server refuses (problem details, as over HTTP). */
export const PROBLEM_EVENT = 'problem';
export interface RealtimeProblemMessage {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; code: string; message: string }[];
}

/** Every event the server sends on the namespace, for socket.io-client's `Socket<RealtimeServerEvents>`. */
export type RealtimeServerEvents = {
  [T in RealtimeEventName]: (message: RealtimeMessage<T>) => void;
} & {
  [SESSION_ENDED_EVENT]: (message: SessionEndedMessage) => void;
  [PROBLEM_EVENT]: (problem: RealtimeProblemMessage) => void;
};
