import { Member } from './member.entity.js';
import { MembershipApplication } from './membership-application.entity.js';

export * from './member.entity.js';
export * from './membership-application.entity.js';

export const MEMBERS_ENTITIES = [Member, MembershipApplication];
