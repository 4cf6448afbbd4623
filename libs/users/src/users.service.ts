import { randomBytes } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import {
  AccessMode,
  AccessResource,
  AccessService,
  Account,
  AreaChain,
  AuthUser,
  hashPassword,
  passwordProblem,
  Role,
  MfaService,
  Scope,
  scoped,
  ScopeLevel,
  SessionRevoker,
  UserAccounts,
} from '@app/auth';
import {
  AppException,
  AuditService,
  decodeCursor,
  diff,
  ErrorCode,
  escapeLike,
  Page,
  toPage,
} from '@app/core';
import { GeographyLevel, GeographyService } from '@app/geography';
import {
  CreateUserDto,
  ListUsersQueryDto,
  ResetPasswordResponseDto,
  UpdateUserDto,
  UserDto,
} from './dto/user.dto.js';
import { User } from './user.entity.js';
import { mayAdminister, roleScopeProblem } from './user-management.policy.js';

const AUDITED = ['name', 'role', 'scopeLevel', 'scopeCode', 'memberId', 'active', 'email'] as const;

function toDto(user: User): UserDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    scopeLevel: user.scopeLevel,
    scopeCode: user.scopeCode,
    memberId: user.memberId,
    active: user.active,
    lockedUntil: user.lockedUntil,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    version: user.version,
  };
}

function scopeOf(user: Pick<User, 'scopeLevel' | 'scopeCode'>): Scope {
  return {
    level: user.scopeLevel,
    code: user.scopeLevel === ScopeLevel.National ? null : user.scopeCode,
  };
}

function areaOf(user: User): AreaChain | null {
  return user.provinceCode
    ? {
        provinceCode: user.provinceCode,
        districtCode: user.districtCode,
        municipalityCode: user.municipalityCode,
        wardCode: user.wardCode,
      }
    : null;
}

function auditable(user: User): Record<string, unknown> {
  return Object.fromEntries(AUDITED.map((key) => [key, user[key]]));
}

/** Accounts: the UserAccounts port for authentication, and user management scoped to the caller's area. */
@Injectable()
export class UsersService extends UserAccounts {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
    private readonly access: AccessService,
    private readonly mfa: MfaService,
  ) {
    super();
  }

  // --- UserAccounts (authentication) ---

  findByEmail(email: string): Promise<Account | null> {
    return this.users.findOneBy({ email: email.trim().toLowerCase() });
  }

  findById(id: string): Promise<Account | null> {
    return this.users.findOneBy({ id });
  }

  // Sign-in bookkeeping is not an edit of the user: it leaves version and updated_at alone, so an admin's
  // PATCH with the version they read is not refused because the user signed in meanwhile.
  async recordLoginSuccess(id: string): Promise<void> {
    await this.users.query(
      `UPDATE users SET last_login_at = now(), first_login_at = COALESCE(first_login_at, now()),
              failed_login_count = 0, locked_until = NULL
        WHERE id = $1`,
      [id],
    );
  }

  async recordLoginFailure(id: string, lockedUntil: Date | null): Promise<void> {
    await this.users.query(
      `UPDATE users SET failed_login_count = failed_login_count + 1,
              locked_until = COALESCE($2::timestamptz, locked_until)
        WHERE id = $1`,
      [id, lockedUntil],
    );
  }

  async changePassword(id: string, passwordHash: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        User,
        { id },
        { passwordHash, passwordChangedAt: new Date(), passwordChangeRequired: false },
      );
      await this.audit.record(
        { action: 'user.password_changed', entityType: 'user', entityId: id },
        manager,
      );
    });
  }

  /** Whether a user is linked to this member (the claim flow creates at most one). */
  hasUserForMember(memberId: string): Promise<boolean> {
    return this.users.existsBy({ memberId });
  }

  /**
   * Creates the `member` user of a member who proved who they are (portal claim flow), inside the caller's
   * transaction, with ward scope over the member's ward. The caller checked the password policy and hashed it.
   * A taken email answers 409.
   */
  async createMemberAccount(
    manager: EntityManager,
    input: {
      email: string;
      name: string;
      passwordHash: string;
      memberId: string;
      ward: AreaChain & { wardCode: string };
    },
  ): Promise<UserDto> {
    if (await manager.existsBy(User, { email: input.email }))
      throw AppException.conflict('A user with this email already exists');
    if (await manager.existsBy(User, { memberId: input.memberId }))
      throw AppException.conflict('This membership already has an account');
    const user = await manager.save(
      manager.create(User, {
        email: input.email,
        name: input.name,
        passwordHash: input.passwordHash,
        role: Role.Member,
        scopeLevel: ScopeLevel.Ward,
        scopeCode: input.ward.wardCode,
        provinceCode: input.ward.provinceCode,
        districtCode: input.ward.districtCode ?? null,
        municipalityCode: input.ward.municipalityCode ?? null,
        wardCode: input.ward.wardCode,
        memberId: input.memberId,
        passwordChangedAt: new Date(),
      }),
    );
    await this.audit.record(
      {
        action: 'user.created',
        entityType: 'user',
        entityId: user.id,
        provinceCode: user.provinceCode,
        actorUserId: null,
        changes: { ...diff({}, auditable(user)), via: 'account_claim' },
      },
      manager,
    );
    return toDto(user);
  }

  /**
   * After a member's transfer (portal approval), inside the caller's transaction: the member's own account
   * follows them to the new ward (scope and area), audited as user.updated. Their sessions stay valid: a
   * member's permissions act on the linked member only, never through the scope.
   */
  async moveMemberAccount(
    manager: EntityManager,
    memberId: string,
    ward: AreaChain & { wardCode: string },
  ): Promise<void> {
    const user = await manager.findOneBy(User, { memberId, role: Role.Member });
    if (!user || user.scopeCode === ward.wardCode) return;
    const before = auditable(user);
    await manager.update(User, user.id, {
      scopeLevel: ScopeLevel.Ward,
      scopeCode: ward.wardCode,
      provinceCode: ward.provinceCode,
      districtCode: ward.districtCode ?? null,
      municipalityCode: ward.municipalityCode ?? null,
      wardCode: ward.wardCode,
    });
    const fresh = await manager.findOneByOrFail(User, { id: user.id });
    await this.audit.record(
      {
        action: 'user.updated',
        entityType: 'user',
        entityId: user.id,
        provinceCode: fresh.provinceCode,
        changes: { ...diff(before, auditable(fresh)), via: 'member_transfer' },
      },
      manager,
    );
  }

  // --- management ---

  /** Resolves a scope's area chain; a scope naming no real area is a 400. */
  private async chainOf(scope: Scope): Promise<AreaChain | null> {
    if (scope.level === ScopeLevel.National) return null;
    const chain = await this.geography.areaChain(
      scope.level as string as GeographyLevel,
      scope.code ?? '',
    );
    if (!chain)
      throw AppException.badRequest(
        `There is no ${scope.level} ${scope.code}`,
        'scopeCode',
        'unknownArea',
      );
    return chain;
  }

  private validateRoleScope(role: Role, scope: Scope): void {
    const problem = roleScopeProblem(role, scope);
    if (problem) throw AppException.badRequest(problem, 'scopeLevel', 'roleScopeMismatch');
  }

  /** The user, if the actor may see it (AccessService: outside the scope, 404 for reads, 403 for writes). */
  private async reachable(actor: AuthUser, id: string, mode: AccessMode): Promise<User> {
    await this.access.require(actor, AccessResource.User, mode, [id]);
    return this.users.findOneByOrFail({ id });
  }

  private rejectNationalCode(level: ScopeLevel, code: string | null | undefined): void {
    if (level === ScopeLevel.National && code !== undefined && code !== null)
      throw AppException.badRequest(
        'a national scope has no scopeCode',
        'scopeCode',
        'roleScopeMismatch',
      );
  }

  async create(actor: AuthUser, dto: CreateUserDto): Promise<UserDto> {
    this.rejectNationalCode(dto.scopeLevel, dto.scopeCode);
    const scope: Scope = {
      level: dto.scopeLevel,
      code: dto.scopeLevel === ScopeLevel.National ? null : (dto.scopeCode ?? null),
    };
    this.validateRoleScope(dto.role, scope);
    const chain = await this.chainOf(scope);
    if (!mayAdminister(actor, dto.role, scope, chain)) {
      throw AppException.forbidden(
        'You may create users only at or below your own level, inside your own area',
      );
    }
    const problem = passwordProblem(dto.password, dto.email);
    if (problem) throw AppException.badRequest(`password ${problem}`, 'password', 'weakPassword');
    const passwordHash = await hashPassword(dto.password);

    return this.dataSource.transaction(async (manager) => {
      if (await manager.existsBy(User, { email: dto.email })) {
        throw AppException.conflict('A user with this email already exists');
      }
      const user = await manager.save(
        manager.create(User, {
          email: dto.email,
          name: dto.name,
          passwordHash,
          role: dto.role,
          scopeLevel: scope.level,
          scopeCode: scope.code,
          provinceCode: chain?.provinceCode ?? null,
          districtCode: chain?.districtCode ?? null,
          municipalityCode: chain?.municipalityCode ?? null,
          wardCode: chain?.wardCode ?? null,
          memberId: dto.memberId ?? null,
          passwordChangedAt: new Date(),
        }),
      );
      await this.audit.record(
        {
          action: 'user.created',
          entityType: 'user',
          entityId: user.id,
          provinceCode: user.provinceCode,
          changes: diff({}, auditable(user)),
        },
        manager,
      );
      return toDto(user);
    });
  }

  async list(actor: AuthUser, query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const qb = scoped(this.users.createQueryBuilder('u'), actor.scope, 'u');
    if (query.role) qb.andWhere('u.role = :role', { role: query.role });
    if (query.scopeLevel)
      qb.andWhere('u.scope_level = :scopeLevel', { scopeLevel: query.scopeLevel });
    if (query.active !== undefined) qb.andWhere('u.active = :active', { active: query.active });
    if (query.q) {
      const like = `%${escapeLike(query.q)}%`;
      qb.andWhere('(u.email ILIKE :like OR u.name ILIKE :like)', { like });
    }
    if (query.cursor) {
      const [email, id] = decodeCursor(query.cursor, 2);
      qb.andWhere('(u.email, u.id) > (:cursorEmail, :cursorId)', {
        cursorEmail: email,
        cursorId: id,
      });
    }
    const rows = await qb
      .orderBy('u.email', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(query.limit + 1)
      .getMany();
    return toPage(rows.map(toDto), query.limit, (u) => [u.email, u.id]);
  }

  async get(actor: AuthUser, id: string): Promise<UserDto> {
    return toDto(await this.reachable(actor, id, 'read'));
  }

  async update(actor: AuthUser, id: string, dto: UpdateUserDto): Promise<UserDto> {
    const user = await this.reachable(actor, id, 'write');
    if (dto.version !== undefined && dto.version !== user.version) {
      throw new AppException(
        HttpStatus.CONFLICT,
        ErrorCode.VersionConflict,
        'The user was changed since you read it',
      );
    }
    const nextRole = dto.role ?? user.role;
    const nextLevel = dto.scopeLevel ?? user.scopeLevel;
    this.rejectNationalCode(nextLevel, dto.scopeCode);
    const nextScope: Scope = {
      level: nextLevel,
      code:
        nextLevel === ScopeLevel.National
          ? null
          : dto.scopeCode !== undefined
            ? dto.scopeCode
            : user.scopeCode,
    };
    const authorityChanged =
      nextRole !== user.role ||
      nextScope.level !== user.scopeLevel ||
      nextScope.code !== scopeOf(user).code;
    const self = user.id === actor.id;
    if (
      self &&
      (authorityChanged || (dto.memberId !== undefined && dto.memberId !== user.memberId))
    ) {
      throw AppException.forbidden('You may not change your own role, scope or member link');
    }
    if (!self && !mayAdminister(actor, user.role, scopeOf(user), areaOf(user))) {
      throw AppException.forbidden('You may not manage this user');
    }
    let chain = areaOf(user);
    if (authorityChanged) {
      this.validateRoleScope(nextRole, nextScope);
      chain = await this.chainOf(nextScope);
      if (!mayAdminister(actor, nextRole, nextScope, chain)) {
        throw AppException.forbidden(
          'You may give roles only at or below your own level, inside your own area',
        );
      }
    }
    const before = auditable(user);
    const updated = await this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(User)
        .set({
          name: dto.name ?? user.name,
          role: nextRole,
          scopeLevel: nextScope.level,
          scopeCode: nextScope.code,
          provinceCode: chain?.provinceCode ?? null,
          districtCode: chain?.districtCode ?? null,
          municipalityCode: chain?.municipalityCode ?? null,
          wardCode: chain?.wardCode ?? null,
          memberId: dto.memberId !== undefined ? dto.memberId : user.memberId,
        })
        .where('id = :id AND version = :version', { id, version: user.version })
        .execute();
      if (result.affected !== 1) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.VersionConflict,
          'The user was changed since you read it',
        );
      }
      const fresh = await manager.findOneByOrFail(User, { id });
      await this.audit.record(
        {
          action: 'user.updated',
          entityType: 'user',
          entityId: id,
          provinceCode: fresh.provinceCode,
          changes: diff(before, auditable(fresh)),
        },
        manager,
      );
      return fresh;
    });
    if (authorityChanged) await this.revoker.revokeAll(id, 'role_or_scope_changed');
    return toDto(updated);
  }

  private async manageable(actor: AuthUser, id: string): Promise<User> {
    const user = await this.reachable(actor, id, 'write');
    if (user.id === actor.id)
      throw AppException.forbidden('You may not do this to your own account');
    if (!mayAdminister(actor, user.role, scopeOf(user), areaOf(user))) {
      throw AppException.forbidden('You may not manage this user');
    }
    return user;
  }

  private async setActive(actor: AuthUser, id: string, active: boolean): Promise<UserDto> {
    const user = await this.manageable(actor, id);
    const updated = await this.dataSource.transaction(async (manager) => {
      await manager.update(
        User,
        { id },
        active ? { active, lockedUntil: null, failedLoginCount: 0 } : { active },
      );
      const fresh = await manager.findOneByOrFail(User, { id });
      await this.audit.record(
        {
          action: active ? 'user.enabled' : 'user.disabled',
          entityType: 'user',
          entityId: id,
          provinceCode: fresh.provinceCode,
          changes: diff({ active: user.active }, { active }),
        },
        manager,
      );
      return fresh;
    });
    if (!active) await this.revoker.revokeAll(id, 'disabled');
    return toDto(updated);
  }

  disable(actor: AuthUser, id: string): Promise<UserDto> {
    return this.setActive(actor, id, false);
  }

  enable(actor: AuthUser, id: string): Promise<UserDto> {
    return this.setActive(actor, id, true);
  }

  /**
   * A one-time password: the holder's sessions end at once (every process), and the next sign-in with it may
   * only change it.
   */
  async resetPassword(actor: AuthUser, id: string): Promise<ResetPasswordResponseDto> {
    const user = await this.manageable(actor, id);
    const temporaryPassword = randomBytes(15).toString('base64url');
    const passwordHash = await hashPassword(temporaryPassword);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        User,
        { id },
        {
          passwordHash,
          passwordChangedAt: new Date(),
          passwordChangeRequired: true,
          lockedUntil: null,
          failedLoginCount: 0,
        },
      );
      await this.audit.record(
        {
          action: 'user.password_reset',
          entityType: 'user',
          entityId: id,
          provinceCode: user.provinceCode,
          changes: { passwordChangeRequired: true },
        },
        manager,
      );
    });
    await this.revoker.revokeAll(id, 'password_reset');
    return { temporaryPassword, passwordChangeRequired: true };
  }

  async updateProfile(actor: AuthUser, name: string): Promise<UserDto> {
    return this.update(actor, actor.id, { name });
  }

  /**
   * Removes the user's TOTP (lost device). Super admin only (the route's permission), strictly more senior than
   * the user: never another super admin, never oneself. One transaction with its audit record; every session
   * of the user ends afterwards.
   */
  async resetMfa(actor: AuthUser, id: string): Promise<void> {
    const user = await this.manageable(actor, id);
    if (user.role === Role.SuperAdmin)
      throw AppException.forbidden(
        "Another super admin's two-factor authentication cannot be reset",
      );
    await this.dataSource.transaction(async (manager) => {
      const hadMfa = await this.mfa.remove(id, manager);
      await this.audit.record(
        {
          action: 'user.mfa_reset',
          entityType: 'user',
          entityId: id,
          provinceCode: user.provinceCode,
          changes: { mfaEnabled: { from: hadMfa, to: false } },
        },
        manager,
      );
    });
    await this.revoker.revokeAll(id, 'mfa_reset');
  }
}
