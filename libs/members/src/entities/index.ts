import { MemberHistory } from './member-history.entity.js';
import { MemberRenewal } from './member-renewal.entity.js';
import { MemberTransfer } from './member-transfer.entity.js';
import { Member } from './member.entity.js';
import { MembershipApplication } from './membership-application.entity.js';
import { RegistrationConflict } from './registration-conflict.entity.js';

export * from './member-history.entity.js';
export * from './member-renewal.entity.js';
export * from './member-transfer.entity.js';
export * from './member.entity.js';
export * from './membership-application.entity.js';
export * from './registration-conflict.entity.js';

export const MEMBERS_ENTITIES = [
  Member,
  MembershipApplication,
  MemberTransfer,
  MemberRenewal,
  MemberHistory,
  RegistrationConflict,
];
