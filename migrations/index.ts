import { Geography1795491569833 } from './1795491569833-Geography.js';
import { Audit1795492120654 } from './1795492120654-Audit.js';
import { Users1795494977577 } from './1795494977577-Users.js';
import { Members1795561454521 } from './1795561454521-Members.js';
import { MembersLifecycle1795561751605 } from './1795561751605-MembersLifecycle.js';
import { Leadership1795562030567 } from './1795562030567-Leadership.js';
import { MemberImports1795562177563 } from './1795562177563-MemberImports.js';
import { MembershipStats1795562300000 } from './1795562300000-MembershipStats.js';
import { UsersEmailLowerCase1795563098645 } from './1795563098645-UsersEmailLowerCase.js';
import { AuditAppendOnly1795563098646 } from './1795563098646-AuditAppendOnly.js';
import { MembersScopedNameSearch1795565488811 } from './1795565488811-MembersScopedNameSearch.js';
import { UsersPasswordChangeRequired1795570000000 } from './1795570000000-UsersPasswordChangeRequired.js';
import { RegistrationConflicts1795570100000 } from './1795570100000-RegistrationConflicts.js';
import { AuditRewriteFunction1795570400000 } from './1795570400000-AuditRewriteFunction.js';
import { StatsRefreshFunction1795610000000 } from './1795610000000-StatsRefreshFunction.js';
import { MessagingOutbox1795740000000 } from './1795740000000-MessagingOutbox.js';
import { PasswordResetTokens1795740100000 } from './1795740100000-PasswordResetTokens.js';
import { UserMfa1795800000000 } from './1795800000000-UserMfa.js';
import { MessagingCampaigns1795810000000 } from './1795810000000-MessagingCampaigns.js';
import { Payments1795820000000 } from './1795820000000-Payments.js';
import { Branches1795830000000 } from './1795830000000-Branches.js';
import { AccountClaims1795840000000 } from './1795840000000-AccountClaims.js';
import { GenericImportJobs1795860000000 } from './1795860000000-GenericImportJobs.js';
import { MembershipCards1795910000000 } from './1795910000000-MembershipCards.js';
import { PortalTransfers1795920000000 } from './1795920000000-PortalTransfers.js';
import { ErasePaymentAuditChanges1795930000000 } from './1795930000000-ErasePaymentAuditChanges.js';
import { Documents1795940000000 } from './1795940000000-Documents.js';
import { ApplicationFinancialReview1795950000000 } from './1795950000000-ApplicationFinancialReview.js';
import { WardComplianceIndex1795960000000 } from './1795960000000-WardComplianceIndex.js';

// Every migration, in order. `npm run migration:generate -- Name` writes the new file; list it here too
// (a unit test fails when a file in this folder is missing from the list).
export const MIGRATIONS = [
  Geography1795491569833,
  Audit1795492120654,
  Users1795494977577,
  Members1795561454521,
  MembersLifecycle1795561751605,
  Leadership1795562030567,
  MemberImports1795562177563,
  MembershipStats1795562300000,
  UsersEmailLowerCase1795563098645,
  AuditAppendOnly1795563098646,
  MembersScopedNameSearch1795565488811,
  UsersPasswordChangeRequired1795570000000,
  RegistrationConflicts1795570100000,
  AuditRewriteFunction1795570400000,
  StatsRefreshFunction1795610000000,
  MessagingOutbox1795740000000,
  PasswordResetTokens1795740100000,
  UserMfa1795800000000,
  MessagingCampaigns1795810000000,
  Payments1795820000000,
  Branches1795830000000,
  AccountClaims1795840000000,
  GenericImportJobs1795860000000,
  MembershipCards1795910000000,
  PortalTransfers1795920000000,
  ErasePaymentAuditChanges1795930000000,
  Documents1795940000000,
  ApplicationFinancialReview1795950000000,
  WardComplianceIndex1795960000000,
];
