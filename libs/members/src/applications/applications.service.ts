import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  AccessResource,
  AccessService,
  AuthUser,
  Permission,
  roleHasPermission,
  scoped,
  ScopedActor,
  withinScope,
} from '@app/auth';
import {
  AppException,
  AuditService,
  decodeCreatedAtCursor,
  DomainEventBus,
  DomainEventType,
  ErrorCode,
  invalidCursor,
  Page,
  PersonalDataScrub,
  toPage,
} from '@app/core';
import { MemberDto } from '../dto/member.dto.js';
import { Member } from '../entities/member.entity.js';
import {
  ApplicationStatus,
  MembershipApplication,
} from '../entities/membership-application.entity.js';
import { checkIdNumber, normaliseCellNumber } from '../identity.js';
import { applicationEvent, financiallyReviewedEvent } from '../member-events.js';
import { isDuplicateIdNumber } from '../member-errors.js';
import { memberArea, toMemberDto } from '../member-mapper.js';
import { MembersService } from '../members.service.js';
import { RegistrationConflictSource } from '../entities/registration-conflict.entity.js';
import { RegistrationConflictsService } from '../registration-conflicts/registration-conflicts.service.js';
import {
  ApplicationDto,
  ApplicationDuplicatesDto,
  ApplicationReceivedDto,
  ListApplicationsQueryDto,
  SubmitApplicationDto,
} from './dto/application.dto.js';
import type { ApplicationView } from '../dto/minimised.dto.js';
import { recordListAccess } from '../list-access.js';
import { isMinimised, minimised } from '../minimisation.js';

const OPEN: readonly ApplicationStatus[] = [
  ApplicationStatus.Submitted,
  ApplicationStatus.UnderReview,
  ApplicationStatus.FinancialReview,
];

/** Waiting for the financial review (two-tier approval): the final approval is refused until it is given. */
const BEFORE_FINANCIAL_REVIEW: readonly ApplicationStatus[] = [
  ApplicationStatus.Submitted,
  ApplicationStatus.UnderReview,
];

export const APPLICATION_RECEIVED: ApplicationReceivedDto = {
  status: 'received',
  message:
    'Thank you. Your application has been received and will be reviewed by your branch. ' +
    'You will be contacted on the details you gave.',
};

export function toApplicationDto(a: MembershipApplication): ApplicationDto {
  return {
    id: a.id,
    status: a.status,
    idNumber: a.idNumber,
    firstNames: a.firstNames,
    surname: a.surname,
    dateOfBirth: a.dateOfBirth,
    gender: a.gender,
    citizenship: a.citizenship,
    cellNumber: a.cellNumber,
    email: a.email,
    residentialAddress: a.residentialAddress,
    wardCode: a.wardCode,
    municipalityCode: a.municipalityCode,
    districtCode: a.districtCode,
    provinceCode: a.provinceCode,
    consentGivenAt: a.consentGivenAt,
    submittedAt: a.submittedAt,
    reviewedBy: a.reviewedBy,
    reviewedAt: a.reviewedAt,
    financialReviewedBy: a.financialReviewedBy,
    financialReviewedAt: a.financialReviewedAt,
    financialReviewPaymentId: a.financialReviewPaymentId,
    decidedBy: a.decidedBy,
    decidedAt: a.decidedAt,
    rejectionReason: a.rejectionReason,
    memberId: a.memberId,
    createdAt: a.createdAt,
    version: a.version,
  };
}

function financialReviewRequired(a: MembershipApplication): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.FinancialReviewRequired,
    'The application needs its financial review (a verified joining fee confirmed by a finance officer) before the final approval',
    undefined,
    { currentStatus: a.status, action: 'approve' },
  );
}

/**
 * Confirms the joining fee for a financial review inside its transaction (libs/payments): the id of the verified
 * payment reviewed, or throws (422 none verified, 403 separation of duties).
 */
export type JoiningFeeCheck = (
  manager: EntityManager,
  application: MembershipApplication,
) => Promise<string>;

function invalidTransition(a: MembershipApplication, action: string): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.InvalidStatusTransition,
    `An application that is ${a.status} cannot be given the action ${action}`,
    undefined,
    { currentStatus: a.status, action },
  );
}

/**
 * Membership applications: submitted by the public, reviewed and decided by admins of the applicant's area.
 * Approval creates the member in the same transaction (MembersService.createInTransaction).
 */
@Injectable()
export class ApplicationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly conflicts: RegistrationConflictsService,
    private readonly access: AccessService,
  ) {}

  /**
   * Stores the application whatever the ID number (no lookup of existing members, so the answer says nothing
   * about who is a member); duplicates show up for the reviewer.
   */
  async submit(dto: SubmitApplicationDto): Promise<ApplicationReceivedDto> {
    const check = checkIdNumber(dto.idNumber);
    if (!check.valid) throw AppException.badRequest(check.reason, 'idNumber', 'invalidIdNumber');
    const chain = await this.members.wardChain(dto.wardCode);
    const now = new Date();
    const application = await this.dataSource.transaction(async (manager) => {
      const saved = await manager.save(
        manager.create(MembershipApplication, {
          status: ApplicationStatus.Submitted,
          idNumber: dto.idNumber,
          firstNames: dto.firstNames,
          surname: dto.surname,
          dateOfBirth: check.facts.dateOfBirth,
          gender: check.facts.gender,
          citizenship: check.facts.citizenship,
          cellNumber: dto.cellNumber ? normaliseCellNumber(dto.cellNumber) : null,
          email: dto.email ?? null,
          residentialAddress: dto.residentialAddress ?? null,
          ...chain,
          consentGivenAt: now,
          submittedAt: now,
        }),
      );
      await this.audit.record(
        {
          action: 'application.submitted',
          entityType: 'membership_application',
          entityId: saved.id,
          provinceCode: saved.provinceCode,
          actorUserId: null,
        },
        manager,
      );
      return saved;
    });
    this.publish(DomainEventType.ApplicationSubmitted, application);
    return APPLICATION_RECEIVED;
  }

  private publish(
    type: DomainEventType.ApplicationSubmitted | DomainEventType.ApplicationDecided,
    a: MembershipApplication,
  ): void {
    this.events.publish(applicationEvent(type, a));
  }

  private async findInScope(
    actor: AuthUser,
    id: string,
    manager?: EntityManager,
  ): Promise<MembershipApplication> {
    await this.access.require(actor, AccessResource.Application, 'read', [id], {
      manager,
      lock: manager !== undefined,
    });
    return (manager ?? this.dataSource.manager).findOneByOrFail(MembershipApplication, { id });
  }

  /**
   * An application's status and area, if inside the actor's scope (404 otherwise, for reads and writes alike),
   * for libs/payments (joining fees). Pass the caller's transaction manager to lock the row.
   */
  async statusAndArea(
    actor: ScopedActor,
    id: string,
    options: { manager?: EntityManager; lock?: boolean } = {},
  ): Promise<
    Pick<
      MembershipApplication,
      'id' | 'status' | 'wardCode' | 'municipalityCode' | 'districtCode' | 'provinceCode'
    >
  > {
    await this.access.require(actor, AccessResource.Application, 'read', [id], options);
    return (options.manager ?? this.dataSource.manager).findOneOrFail(MembershipApplication, {
      select: {
        id: true,
        status: true,
        wardCode: true,
        municipalityCode: true,
        districtCode: true,
        provinceCode: true,
      },
      where: { id },
    });
  }

  /**
   * Applications with the person's ID number, or the one whose approval created the member, oldest first. With an
   * actor, only those inside the actor's scope (anyone can apply with any ID number, so one lodged elsewhere never
   * shows); without one, every copy (erasure scrubs them all).
   */
  ofPerson(
    manager: EntityManager,
    member: Pick<Member, 'id' | 'idNumber'>,
    actor?: ScopedActor,
  ): Promise<MembershipApplication[]> {
    const qb = manager
      .createQueryBuilder(MembershipApplication, 'a')
      .where('(a.id_number = :idNumber OR a.member_id = :memberId)', {
        idNumber: member.idNumber,
        memberId: member.id,
      });
    if (actor) scoped(qb, actor.scope, 'a');
    return qb.orderBy('a.created_at', 'ASC').getMany();
  }

  /**
   * Erases the personal data of `applications` (erasure of the member they belong to): `placeholders` gives the
   * values that replace the ID number, names and date of birth; contacts are cleared; the rejection reason goes
   * through `scrub`.
   */
  async erase(
    manager: EntityManager,
    applications: MembershipApplication[],
    placeholders: (
      a: MembershipApplication,
    ) => Pick<MembershipApplication, 'idNumber' | 'firstNames' | 'surname' | 'dateOfBirth'>,
    scrub: PersonalDataScrub,
  ): Promise<void> {
    for (const a of applications) {
      await manager.update(MembershipApplication, a.id, {
        ...placeholders(a),
        cellNumber: null,
        email: null,
        residentialAddress: null,
        rejectionReason: scrub.nullableText(a.rejectionReason),
      });
    }
  }

  /** One page; recorded as applications.listed (recordListAccess); minimised roles get MinimisedApplicationDto rows. */
  async list(actor: AuthUser, query: ListApplicationsQueryDto): Promise<Page<ApplicationView>> {
    const qb = scoped(
      this.dataSource.manager.createQueryBuilder(MembershipApplication, 'a'),
      actor.scope,
      'a',
    );
    if (query.status) qb.andWhere('a.status = :status', { status: query.status });
    if (query.provinceCode) qb.andWhere('a.province_code = :fp', { fp: query.provinceCode });
    if (query.districtCode) qb.andWhere('a.district_code = :fd', { fd: query.districtCode });
    if (query.municipalityCode)
      qb.andWhere('a.municipality_code = :fm', { fm: query.municipalityCode });
    if (query.wardCode) qb.andWhere('a.ward_code = :fw', { fw: query.wardCode });
    if (query.cursor) {
      const after = decodeCreatedAtCursor(query.cursor);
      if (!after) throw invalidCursor();
      const { at, id } = after;
      qb.andWhere(
        `(a.created_at, a.id) < (CAST(:cursorAt AS timestamp) AT TIME ZONE 'UTC', :cursorId)`,
        { cursorAt: at, cursorId: id },
      );
    }
    qb.addSelect(
      `to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
      'cursor_at',
    )
      .orderBy('a.createdAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(query.limit + 1);
    const { entities, raw } = await qb.getRawAndEntities<{ cursor_at: string }>();
    const rows = entities.map((a, i) => ({
      dto: toApplicationDto(a),
      at: raw[i]?.cursor_at ?? '',
    }));
    const page = toPage(rows, query.limit, (r) => [r.at, r.dto.id]);
    const data = page.data.map((r) => r.dto);
    recordListAccess(this.audit, actor, 'applications', query, data);
    return {
      data: isMinimised(actor) ? data.map((a) => minimised(a)) : data,
      nextCursor: page.nextCursor,
    };
  }

  async get(actor: AuthUser, id: string): Promise<ApplicationView> {
    const application = await this.findInScope(actor, id);
    if (isMinimised(actor)) return minimised(toApplicationDto(application));
    const dto = toApplicationDto(application);
    if (roleHasPermission(actor.role, Permission.ApplicationsReview)) {
      dto.duplicates = await this.duplicates(actor, application);
    }
    return dto;
  }

  private async duplicates(
    actor: AuthUser,
    a: MembershipApplication,
  ): Promise<ApplicationDuplicatesDto> {
    const member = await this.members.summaryByIdNumber(a.idNumber);
    const qb = this.dataSource.manager
      .createQueryBuilder(MembershipApplication, 'o')
      .select('o.id', 'id')
      .where('o.id_number = :idNumber AND o.id <> :id AND o.status IN (:...open)', {
        idNumber: a.idNumber,
        id: a.id,
        open: OPEN,
      });
    const others = await scoped(qb, actor.scope, 'o')
      .orderBy('o.id')
      .limit(20)
      .getRawMany<{ id: string }>();
    // A member outside the reviewer's area is not mentioned at all: approving answers CANNOT_REGISTER_HERE.
    const visible = member && withinScope(actor, memberArea(member)) ? member : null;
    return {
      member: visible
        ? {
            id: visible.id,
            membershipNumber: visible.membershipNumber,
            status: visible.status,
            wardCode: visible.wardCode,
          }
        : null,
      memberExists: visible !== null,
      openApplicationIds: others.map((o) => o.id),
    };
  }

  async review(actor: AuthUser, id: string): Promise<ApplicationDto> {
    const application = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, manager);
      if (current.status !== ApplicationStatus.Submitted)
        throw invalidTransition(current, 'review');
      await manager.update(
        MembershipApplication,
        { id },
        { status: ApplicationStatus.UnderReview, reviewedBy: actor.id, reviewedAt: new Date() },
      );
      await this.audit.record(
        {
          action: 'application.reviewing',
          entityType: 'membership_application',
          entityId: id,
          provinceCode: current.provinceCode,
          changes: { status: { from: current.status, to: ApplicationStatus.UnderReview } },
        },
        manager,
      );
      return manager.findOneByOrFail(MembershipApplication, { id });
    });
    return toApplicationDto(application);
  }

  /**
   * Creates the member and marks the application approved in one transaction. The application row is locked
   * (FOR UPDATE), so a second approval waits and then finds it decided (409); the unique indexes on
   * members.id_number and membership_applications.member_id back this up.
   */
  async approve(actor: AuthUser, id: string): Promise<MemberDto> {
    await this.conflicts.assertUnderLimit(actor);
    const { application, member } = await this.dataSource
      .transaction(async (manager) => {
        const current = await this.findInScope(actor, id, manager);
        if (BEFORE_FINANCIAL_REVIEW.includes(current.status))
          throw financialReviewRequired(current);
        if (current.status !== ApplicationStatus.FinancialReview)
          throw invalidTransition(current, 'approve');
        if (current.financialReviewedBy === actor.id)
          throw AppException.forbidden(
            'Separation of duties: the final approval must be given by someone other than the financial reviewer',
          );
        const created = await this.members.createInTransaction(
          manager,
          {
            idNumber: current.idNumber,
            firstNames: current.firstNames,
            surname: current.surname,
            cellNumber: current.cellNumber ?? undefined,
            email: current.email ?? undefined,
            residentialAddress: current.residentialAddress ?? undefined,
            wardCode: current.wardCode,
            consentGiven: true,
          },
          { id: actor.id },
          {
            wardCode: current.wardCode,
            municipalityCode: current.municipalityCode,
            districtCode: current.districtCode,
            provinceCode: current.provinceCode,
          },
          { applicationId: current.id },
        );
        await manager.update(
          MembershipApplication,
          { id },
          {
            status: ApplicationStatus.Approved,
            decidedBy: actor.id,
            decidedAt: new Date(),
            memberId: created.id,
          },
        );
        await this.audit.record(
          {
            action: 'application.approved',
            entityType: 'membership_application',
            entityId: id,
            provinceCode: current.provinceCode,
            changes: {
              status: { from: current.status, to: ApplicationStatus.Approved },
              memberId: { from: null, to: created.id },
              financialReviewedBy: current.financialReviewedBy,
              financialReviewPaymentId: current.financialReviewPaymentId,
            },
          },
          manager,
        );
        return {
          application: await manager.findOneByOrFail(MembershipApplication, { id }),
          member: created,
        };
      })
      .catch(async (error: unknown) => {
        if (!isDuplicateIdNumber(error)) throw error;
        const a = await this.findInScope(actor, id);
        throw await this.conflicts.refusal(actor, a.idNumber, a, {
          source: RegistrationConflictSource.Application,
          applicationId: a.id,
        });
      });
    this.members.publish(DomainEventType.MemberCreated, member);
    this.publish(DomainEventType.ApplicationDecided, application);
    return toMemberDto(member);
  }

  /**
   * Two-tier approval, first tier: `submitted | under_review → financial_review`. The application row is locked;
   * `joiningFee` (libs/payments) confirms a verified joining-fee payment in the same transaction. Any other status
   * is 409 INVALID_STATUS_TRANSITION (a second review, a decided application).
   */
  async financialReview(
    actor: AuthUser,
    id: string,
    joiningFee: JoiningFeeCheck,
  ): Promise<ApplicationDto> {
    const application = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, manager);
      if (!BEFORE_FINANCIAL_REVIEW.includes(current.status))
        throw invalidTransition(current, 'financial_review');
      const paymentId = await joiningFee(manager, current);
      await manager.update(
        MembershipApplication,
        { id },
        {
          status: ApplicationStatus.FinancialReview,
          financialReviewedBy: actor.id,
          financialReviewedAt: new Date(),
          financialReviewPaymentId: paymentId,
        },
      );
      await this.audit.record(
        {
          action: 'application.financially_reviewed',
          entityType: 'membership_application',
          entityId: id,
          provinceCode: current.provinceCode,
          changes: {
            status: { from: current.status, to: ApplicationStatus.FinancialReview },
            paymentId,
          },
        },
        manager,
      );
      return manager.findOneByOrFail(MembershipApplication, { id });
    });
    this.events.publish(financiallyReviewedEvent(application));
    return toApplicationDto(application);
  }

  async reject(actor: AuthUser, id: string, reason: string): Promise<ApplicationDto> {
    const application = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, manager);
      if (!OPEN.includes(current.status)) throw invalidTransition(current, 'reject');
      await manager.update(
        MembershipApplication,
        { id },
        {
          status: ApplicationStatus.Rejected,
          rejectionReason: reason,
          decidedBy: actor.id,
          decidedAt: new Date(),
        },
      );
      await this.audit.record(
        {
          action: 'application.rejected',
          entityType: 'membership_application',
          entityId: id,
          provinceCode: current.provinceCode,
          changes: { status: { from: current.status, to: ApplicationStatus.Rejected }, reason },
        },
        manager,
      );
      return manager.findOneByOrFail(MembershipApplication, { id });
    });
    this.publish(DomainEventType.ApplicationDecided, application);
    return toApplicationDto(application);
  }
}
