import { DomainEvent, domainEvent, DomainEventType, EventArea } from '@app/core';
import type { WardChain } from '@app/geography';
import type { Member } from './entities/member.entity.js';
import {
  ApplicationStatus,
  type MembershipApplication,
} from './entities/membership-application.entity.js';

/** The member (or application) events the services publish; each has its documented payload. */
export type MemberEventType =
  | DomainEventType.MemberCreated
  | DomainEventType.MemberUpdated
  | DomainEventType.MemberStatusChanged
  | DomainEventType.MemberTransferred;

/** What a member event needs beyond the member row itself. */
export interface MemberEventDetails {
  /** member.status_changed: the status before the change. */
  previousStatus?: string;
  /** member.transferred: where the member lived before; its sockets are told too. */
  previousArea?: EventArea;
  /** member.updated: names of the changed fields (never their values). */
  changedFields?: string[];
}

type Published = Omit<DomainEvent, 'occurredAt'>;

function areaOf(m: Pick<Member, keyof WardChain>): EventArea {
  return {
    provinceCode: m.provinceCode,
    districtCode: m.districtCode,
    municipalityCode: m.municipalityCode,
    wardCode: m.wardCode,
  };
}

/**
 * The event for a member change, with the payload the README documents (ids, codes and statuses only: no ID
 * number, cell number, address or email). Transfers carry the old area as `previousArea`, so the old area's
 * sockets hear about the member leaving.
 */
export function memberEvent(
  type: MemberEventType,
  m: Member,
  details: MemberEventDetails = {},
): Published {
  const area = areaOf(m);
  const ids = { memberId: m.id, membershipNumber: m.membershipNumber };
  switch (type) {
    case DomainEventType.MemberCreated:
      return domainEvent(type, area, { ...ids, status: m.status, wardCode: m.wardCode });
    case DomainEventType.MemberUpdated:
      return domainEvent(type, area, {
        ...ids,
        version: m.version,
        changedFields: [...(details.changedFields ?? [])],
      });
    case DomainEventType.MemberStatusChanged:
      return domainEvent(type, area, {
        ...ids,
        from: details.previousStatus ?? m.status,
        to: m.status,
      });
    case DomainEventType.MemberTransferred:
      return domainEvent(
        type,
        area,
        {
          ...ids,
          fromWardCode: details.previousArea?.wardCode ?? m.wardCode,
          toWardCode: m.wardCode,
        },
        { previousArea: details.previousArea ?? null },
      );
  }
}

/** application.submitted / application.decided, with their documented payloads. */
export function applicationEvent(
  type: DomainEventType.ApplicationSubmitted | DomainEventType.ApplicationDecided,
  a: MembershipApplication,
): Published {
  const area = areaOf(a);
  if (type === DomainEventType.ApplicationSubmitted)
    return domainEvent(type, area, { applicationId: a.id, wardCode: a.wardCode });
  return domainEvent(type, area, {
    applicationId: a.id,
    decision: a.status === ApplicationStatus.Approved ? 'approved' : 'rejected',
    memberId: a.memberId ?? null,
  });
}

/** application.financially_reviewed (two-tier approval), to the application's area rooms. */
export function financiallyReviewedEvent(a: MembershipApplication): Published {
  return domainEvent(DomainEventType.ApplicationFinanciallyReviewed, areaOf(a), {
    applicationId: a.id,
    wardCode: a.wardCode,
    paymentId: a.financialReviewPaymentId ?? '',
  });
}
