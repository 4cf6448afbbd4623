import { BranchDelegate } from './branch-delegate.entity.js';
import { BranchMeeting } from './branch-meeting.entity.js';
import { DelegateLimit } from './delegate-limit.entity.js';
import { MeetingAttendance } from './meeting-attendance.entity.js';
import { WardAuditRecord } from './ward-audit-record.entity.js';

export { BranchDelegate, BranchMeeting, DelegateLimit, MeetingAttendance, WardAuditRecord };
export type { VerifiedFigures } from './branch-meeting.entity.js';

export const BRANCHES_ENTITIES = [
  BranchMeeting,
  MeetingAttendance,
  WardAuditRecord,
  BranchDelegate,
  DelegateLimit,
];
