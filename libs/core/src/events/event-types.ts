// No imports: the client package (libs/api-client) ships this file and event-payloads.ts as they are.

export enum DomainEventType {
  MemberCreated = 'member.created',
  MemberUpdated = 'member.updated',
  MemberStatusChanged = 'member.status_changed',
  MemberTransferred = 'member.transferred',
  ApplicationSubmitted = 'application.submitted',
  ApplicationDecided = 'application.decided',
  /** Two-tier approval: the application passed its financial review and waits for the final approval. */
  ApplicationFinanciallyReviewed = 'application.financially_reviewed',
  LeadershipChanged = 'leadership.changed',
  ImportProgress = 'import.progress',
  StatsUpdated = 'stats.updated',
  PaymentRecorded = 'payment.recorded',
  PaymentVerified = 'payment.verified',
  PaymentRejected = 'payment.rejected',
  /** A ward or structure meeting was scheduled, held, verified, cancelled or postponed. */
  MeetingChanged = 'branch.meeting_changed',
  /** An admin above the ward approved its compliance (ward audit). */
  WardComplianceApproved = 'branch.compliance_approved',
  /** A delegate was selected (or replaced) for an assembly. */
  DelegateSelected = 'branch.delegate_selected',
  /** Sessions of this user were revoked (logout, password change, disable): sockets must close. */
  SessionsRevoked = 'auth.sessions_revoked',
}

export interface EventArea {
  provinceCode: string;
  districtCode?: string | null;
  municipalityCode?: string | null;
  wardCode?: string | null;
}
