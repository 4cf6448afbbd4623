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
  /** List and resolve registration conflicts (ID numbers refused outside their member's area): national only. */
  RegistrationConflictsManage = 'registration_conflicts:manage',
  /** The member portal: read one's own membership (the caller's linked member only, never a path id). */
  MeRead = 'me:read',
  /** The member portal: change one's own contact details and contact objection. */
  MeWrite = 'me:write',
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
];

/** The role → permission map: the one place that says who may do what. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  [Role.SuperAdmin]: [...ADMIN, Permission.MembersErase, Permission.RegistrationConflictsManage],
  [Role.NationalAdmin]: [...ADMIN, Permission.RegistrationConflictsManage],
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
};

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}
