import { Role } from './roles.js';
import { ScopeLevel } from './scope.js';

/** What authentication needs to know about an account. */
export interface Account {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  scopeLevel: ScopeLevel;
  scopeCode: string | null;
  memberId: string | null;
  active: boolean;
  lockedUntil: Date | null;
  /** After an administrator's reset: sign-in gives a session that may only change the password. */
  passwordChangeRequired: boolean;
  /** The first successful sign-in (starts the MFA enrolment grace period of admin roles); null before it. */
  firstLoginAt: Date | null;
}

/**
 * The port through which authentication reads and updates accounts. libs/users implements it and provides it
 * globally, so auth never imports the users module (users builds on auth, not the reverse).
 */
export abstract class UserAccounts {
  abstract findByEmail(email: string): Promise<Account | null>;
  abstract findById(id: string): Promise<Account | null>;
  abstract recordLoginSuccess(id: string): Promise<void>;
  abstract recordLoginFailure(id: string, lockedUntil: Date | null): Promise<void>;
  /** Sets the new password and lifts a pending required change. */
  abstract changePassword(id: string, passwordHash: string): Promise<void>;
}
