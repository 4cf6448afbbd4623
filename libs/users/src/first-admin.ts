import { randomBytes } from 'node:crypto';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { hashPassword, passwordProblem, Role, ScopeLevel } from '@app/auth';
import { User } from './user.entity.js';

export interface CreatedAdmin {
  email: string;
  /** Set when the password was generated here and must be shown once. */
  generatedPassword?: string;
}

/**
 * Creates a super admin (generating a strong password when none is given). With `onlyIfNone`, does nothing
 * and returns null when a super admin already exists; an advisory lock makes several processes create one at
 * most. Fails when the email is taken or the password is weak.
 */
export async function createSuperAdmin(
  dataSource: DataSource,
  options: { email: string; password?: string; name?: string; onlyIfNone?: boolean },
): Promise<CreatedAdmin | null> {
  const email = options.email.trim().toLowerCase();
  if (!isEmail(email)) throw new Error(`Admin email ${email} is not an email address`);
  // Once a super admin exists, start-up has nothing to do: a since-tightened password rule must not stop it.
  if (options.onlyIfNone && (await dataSource.manager.existsBy(User, { role: Role.SuperAdmin })))
    return null;
  const password = options.password ?? randomBytes(18).toString('base64url');
  const generatedPassword = options.password ? undefined : password;
  const problem = passwordProblem(password, email);
  if (problem) throw new Error(`Admin password ${problem}`);
  const passwordHash = await hashPassword(password);
  return dataSource.transaction(async (manager) => {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['eff:first-admin']);
    if (options.onlyIfNone && (await manager.existsBy(User, { role: Role.SuperAdmin })))
      return null;
    if (await manager.existsBy(User, { email }))
      throw new Error(`A user with email ${email} already exists`);
    await manager.save(
      manager.create(User, {
        email,
        name: options.name ?? 'Super Admin',
        passwordHash,
        role: Role.SuperAdmin,
        scopeLevel: ScopeLevel.National,
        scopeCode: null,
        passwordChangedAt: new Date(),
      }),
    );
    return { email, generatedPassword };
  });
}
