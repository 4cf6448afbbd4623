import { createUser, loginAsSuperAdmin, Session } from './auth.js';
import { createMember, WARDS } from './members.js';
import { startTestContext, TestContext } from './test-app.js';

/**
 * The shared frame of the authorisation-matrix specs: one user per role, and for each a target in the caller's
 * own area, a sibling area and the parent's wider area (the places below). A spec lists its routes and the
 * status it expects per role and place, then compares with what the API answered.
 */
export type Place = keyof typeof WARDS;
export type PerTarget = [own: number, sibling: number, parent: number];
export const FORBIDDEN: PerTarget = [403, 403, 403];

export interface MatrixUser {
  role: string;
  level: string;
  code: string | null;
  /** own area, a sibling area, the parent's wider area */
  places: [Place, Place, Place];
}

const NATIONAL_PLACES: [Place, Place, Place] = ['own', 'otherProvince', 'siblingDistrict'];
const WARD_PLACES: [Place, Place, Place] = ['own', 'siblingWard', 'siblingMunicipality'];

export const MATRIX_USERS = {
  super_admin: { role: 'super_admin', level: 'national', code: null, places: NATIONAL_PLACES },
  national_admin: {
    role: 'national_admin',
    level: 'national',
    code: null,
    places: NATIONAL_PLACES,
  },
  provincial_admin: {
    role: 'provincial_admin',
    level: 'province',
    code: 'GP',
    places: ['own', 'otherProvince', 'otherProvince'],
  },
  regional_admin: {
    role: 'regional_admin',
    level: 'district',
    code: 'DC42',
    places: ['own', 'siblingDistrict', 'otherProvince'],
  },
  subregional_admin: {
    role: 'subregional_admin',
    level: 'municipality',
    code: 'GT421',
    places: ['own', 'siblingMunicipality', 'siblingDistrict'],
  },
  ward_admin: { role: 'ward_admin', level: 'ward', code: WARDS.own, places: WARD_PLACES },
  auditor: {
    role: 'auditor',
    level: 'province',
    code: 'GP',
    places: ['own', 'otherProvince', 'otherProvince'],
  },
  member: { role: 'member', level: 'ward', code: WARDS.own, places: WARD_PLACES },
  finance_officer: {
    role: 'finance_officer',
    level: 'district',
    code: 'DC42',
    places: ['own', 'siblingDistrict', 'otherProvince'],
  },
  finance_officer_ward: {
    role: 'finance_officer',
    level: 'ward',
    code: WARDS.own,
    places: WARD_PLACES,
  },
} as const satisfies Record<string, MatrixUser>;

export type MatrixRole = keyof typeof MATRIX_USERS;

/** The roles most matrices cover: every role but the finance officers. */
export const MATRIX_ROLES = [
  'super_admin',
  'national_admin',
  'provincial_admin',
  'regional_admin',
  'subregional_admin',
  'ward_admin',
  'auditor',
  'member',
] as const satisfies readonly MatrixRole[];

/** Every role with the finance officers (national and ward): the matrices of routes finance officers use. */
export const MATRIX_ROLES_WITH_FINANCE = [
  ...MATRIX_ROLES,
  'finance_officer',
  'finance_officer_ward',
] as const satisfies readonly MatrixRole[];

export interface Matrix<R extends MatrixRole> {
  t: TestContext;
  /** the bootstrap super admin (also `sessions.super_admin` when that role is in the matrix) */
  admin: Session;
  sessions: Record<R, Session>;
  /** One member per place, created by the super admin through the API (surname = the place's name). */
  members: Record<Place, string>;
  /** Calls `status` for the role's own, sibling and parent place, one after another. */
  perTarget(role: R, status: (place: Place) => Promise<number>): Promise<PerTarget>;
}

/** Starts the app with `env`, signs in the super admin, creates one user per role and one member per place. */
export async function startMatrix<R extends MatrixRole>(
  roles: readonly R[],
  env: Record<string, string> = {},
): Promise<Matrix<R>> {
  const t = await startTestContext({
    STATUS_RECALC_CRON: 'off',
    AUTH_THROTTLE_LIMIT: '1000',
    ...env,
  });
  const admin = await loginAsSuperAdmin(t.app);
  const sessions = {} as Record<R, Session>;
  for (const key of roles) {
    const u: MatrixUser = MATRIX_USERS[key];
    sessions[key] =
      key === 'super_admin' ? admin : await createUser(t.app, admin, u.role, u.level, u.code);
  }
  const members = {} as Record<Place, string>;
  for (const place of Object.keys(WARDS) as Place[]) {
    members[place] = (
      await createMember(t.app, admin, { wardCode: WARDS[place], surname: place })
    ).id;
  }
  return {
    t,
    admin,
    sessions,
    members,
    async perTarget(role, status) {
      const out: number[] = [];
      for (const place of MATRIX_USERS[role].places) out.push(await status(place));
      return out as PerTarget;
    },
  };
}
