import { ScopeLevel } from './scope.js';

export enum Role {
  SuperAdmin = 'super_admin',
  NationalAdmin = 'national_admin',
  ProvincialAdmin = 'provincial_admin',
  RegionalAdmin = 'regional_admin',
  SubregionalAdmin = 'subregional_admin',
  WardAdmin = 'ward_admin',
  Auditor = 'auditor',
  Member = 'member',
  /** Records, verifies and reviews payments (libs/payments); any scope level, like an auditor. */
  FinanceOfficer = 'finance_officer',
}

/** What a route may require. One route, one permission; documented in OpenAPI as x-required-permission. */
export enum Permission {
  UsersRead = 'users:read',
  UsersManage = 'users:manage',
  MembersRead = 'members:read',
  MembersWrite = 'members:write',
  MembersExport = 'members:export',
  MembersImport = 'members:import',
  MembersErase = 'members:erase',
  /** POPIA access request: everything held about one member (admins; not auditors). */
  MembersDataExport = 'members:data_export',
  ApplicationsRead = 'applications:read',
  ApplicationsReview = 'applications:review',
  LeadershipRead = 'leadership:read',
  LeadershipManage = 'leadership:manage',
  StatsRead = 'stats:read',
  AuditRead = 'audit:read',
  /** Delivery status of outbox messages within the caller's area. */
  MessagingRead = 'messaging:read',
  /** Manage message templates, dry-run, create and send campaigns within the caller's area. */
  MessagingSend = 'messaging:send',
  /** List and resolve registration conflicts (ID numbers refused outside their member's area): national only. */
  RegistrationConflictsManage = 'registration_conflicts:manage',
  /** Remove another user's TOTP (lost device): super admin only, on a strictly more junior account. */
  UsersMfaReset = 'users:mfa_reset',
  /** Payments of members and applications in the caller's area (libs/payments). */
  PaymentsRead = 'payments:read',
  /** Record a cash/EFT/external payment or start a card checkout. */
  PaymentsRecord = 'payments:record',
  /** Verify or reject a payment recorded by someone else (four eyes). */
  PaymentsVerify = 'payments:verify',
  /**
   * Two-tier approval, first tier: confirm an application's joining fee is verified (finance officers and
   * national admins only; the area admins give the final approval).
   */
  ApplicationsFinancialReview = 'applications:financial_review',
  /** The old immediate renewal (POST /members/{id}/renewals), now an audited manual renewal with a reason. */
  MembersManualRenewal = 'members:manual_renewal',
  /** Branch life: meetings, attendance, ward audits and delegates within the caller's area. */
  BranchesRead = 'branches:read',
  /** Schedule and record meetings and attendance, select delegates, set delegate limits (inside the area). */
  BranchesManage = 'branches:manage',
  /** Verify a held meeting and approve a ward's compliance (the service also requires a higher level). */
  BranchesVerify = 'branches:verify',
  /** The member portal: read one's own membership (the caller's linked member only, never a path id). */
  MeRead = 'me:read',
  /** The member portal: change one's own contact details and contact objection. */
  MeWrite = 'me:write',
  /** Membership cards of members (and wards) in the caller's area: issue and download the PDF. */
  CardsIssue = 'cards:issue',
  /** Revoke a member's membership cards in the caller's area. */
  CardsRevoke = 'cards:revoke',
}

const ADMIN: readonly Permission[] = [
  Permission.UsersRead,
  Permission.UsersManage,
  Permission.MembersRead,
  Permission.MembersWrite,
  Permission.MembersExport,
  Permission.MembersImport,
  Permission.MembersDataExport,
  Permission.ApplicationsRead,
  Permission.ApplicationsReview,
  Permission.LeadershipRead,
  Permission.LeadershipManage,
  Permission.StatsRead,
  Permission.AuditRead,
  Permission.MessagingRead,
  Permission.MessagingSend,
  Permission.PaymentsRead,
  Permission.PaymentsRecord,
  Permission.PaymentsVerify,
  Permission.BranchesRead,
  Permission.BranchesManage,
  Permission.BranchesVerify,
  Permission.CardsIssue,
  Permission.CardsRevoke,
];

/** The role → permission map: the one place that says who may do what. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  [Role.SuperAdmin]: [
    ...ADMIN,
    Permission.MembersErase,
    Permission.RegistrationConflictsManage,
    Permission.UsersMfaReset,
    Permission.MembersManualRenewal,
    Permission.ApplicationsFinancialReview,
  ],
  [Role.NationalAdmin]: [
    ...ADMIN,
    Permission.RegistrationConflictsManage,
    Permission.MembersManualRenewal,
    Permission.ApplicationsFinancialReview,
  ],
  [Role.ProvincialAdmin]: ADMIN,
  [Role.RegionalAdmin]: ADMIN,
  [Role.SubregionalAdmin]: ADMIN,
  [Role.WardAdmin]: ADMIN,
  [Role.Auditor]: [
    Permission.UsersRead,
    Permission.MembersRead,
    Permission.MembersExport,
    Permission.ApplicationsRead,
    Permission.LeadershipRead,
    Permission.StatsRead,
    Permission.AuditRead,
    Permission.PaymentsRead,
    Permission.BranchesRead,
  ],
  [Role.FinanceOfficer]: [
    Permission.MembersRead,
    Permission.ApplicationsRead,
    Permission.PaymentsRead,
    Permission.PaymentsRecord,
    Permission.PaymentsVerify,
    Permission.ApplicationsFinancialReview,
    Permission.StatsRead,
  ],
  [Role.Member]: [Permission.MeRead, Permission.MeWrite],
};

/** The scope level an admin role is tied to; null where any level is allowed (auditor, member). */
export const ROLE_SCOPE_LEVEL: Record<Role, ScopeLevel | null> = {
  [Role.SuperAdmin]: ScopeLevel.National,
  [Role.NationalAdmin]: ScopeLevel.National,
  [Role.ProvincialAdmin]: ScopeLevel.Province,
  [Role.RegionalAdmin]: ScopeLevel.District,
  [Role.SubregionalAdmin]: ScopeLevel.Municipality,
  [Role.WardAdmin]: ScopeLevel.Ward,
  [Role.Auditor]: null,
  [Role.Member]: ScopeLevel.Ward,
  [Role.FinanceOfficer]: null,
};

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}
