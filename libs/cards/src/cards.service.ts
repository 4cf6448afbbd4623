import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Writable } from 'node:stream';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { withinScope } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  ErrorCode,
  todayInSouthAfrica,
  ReadConnection,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { PdfWriter, renderPdf } from '@app/files';
import type { PdfBox } from '@app/files';
import { GeographyService } from '@app/geography';
import { addDays, Member, MembersService, MemberStandingService, MemberStatus } from '@app/members';
import { CardKeyring } from './card-keyring.js';
import { parseCardToken, rememberingSignatureCheck, signCardToken } from './card-token.js';
import { CardsRevokedDto, CardVerificationDto, CardVerificationResult } from './dto/cards.dto.js';
import { CardRevocation, MembershipCard } from './membership-card.entity.js';

/** Advisory lock namespace (first key) of card issuing, per member (second key). */
const CARD_ISSUE_LOCK = 7501;
const CARDS_PER_PAGE = { columns: 2, rows: 4 } as const;
const ISSUABLE: readonly MemberStatus[] = [MemberStatus.Active, MemberStatus.GracePeriod];
const STATUS_LABEL: Partial<Record<MemberStatus, string>> = {
  [MemberStatus.Active]: 'Active',
  [MemberStatus.GracePeriod]: 'Grace Period',
};

/** What one printed card shows, with its token. */
interface PrintedCard {
  serial: string;
  name: string;
  membershipNumber: string;
  wardName: string;
  wardCode: string;
  status: string;
  expiresOn: string;
  issuedOn: string;
  token: string;
}

const NOTHING: Omit<CardVerificationDto, 'result'> = {
  initials: null,
  surnameInitial: null,
  wardName: null,
  expiresOn: null,
};

/** What verification reads: the card, and its member as of now (null columns when the member is gone). */
interface CardStateRow {
  serial: string;
  kid: string;
  iat: number;
  exp: number;
  expires_on: string;
  ward_code: string;
  revoked: boolean;
  revocation: string | null;
  status: string | null;
  member_ward: string | null;
  first_names: string | null;
  surname: string | null;
  province_code: string | null;
  anonymised: boolean | null;
}

const initialsOf = (names: string): string =>
  names
    .split(/[\s-]+/)
    .filter((n) => n.length > 0)
    .map((n) => n[0]!.toUpperCase())
    .join('');

/**
 * Membership cards: issued (or re-issued) to Active and Grace Period members as a PDF whose QR code carries a signed
 * token (card-token.ts), verified publicly against the card record and the member's current state, revoked by
 * member changes (the database trigger) or by an admin.
 */
@Injectable()
export class CardsService {
  private readonly signatureVerifies = rememberingSignatureCheck();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: ReadConnection,
    private readonly members: MembersService,
    private readonly standing: MemberStandingService,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
    private readonly keyring: CardKeyring,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // --- issuing ---

  /** The signed-in member's own card (the member linked to the account; never a path id). */
  async myCard(user: AuthUser): Promise<{ pdf: Buffer; name: string }> {
    const member = user.memberId ? await this.members.findUnscoped(user.memberId) : null;
    if (!member || member.anonymisedAt) throw AppException.notFound('Your membership');
    return this.cardPdf(member, user.id);
  }

  /** A member's card for an admin: 404 outside the admin's area. */
  async memberCard(actor: AuthUser, id: string): Promise<{ pdf: Buffer; name: string }> {
    const member = await this.members.findInScope(actor, id);
    if (member.anonymisedAt) throw AppException.notFound(`Member ${id}`);
    return this.cardPdf(member, actor.id);
  }

  private async cardPdf(member: Member, issuedBy: string): Promise<{ pdf: Buffer; name: string }> {
    this.assertIssuable(member);
    const card = await this.dataSource.transaction(async (manager) => {
      // The member as of this transaction; a change committed later revokes the card through the trigger.
      const current = (await this.members.findUnscoped(member.id, manager)) ?? member;
      this.assertIssuable(current);
      const [issued] = await this.issue(manager, [current], issuedBy);
      return issued!;
    });
    const printed = await this.printed([card], new Map([[member.id, member]]));
    const pdf = await renderPdf(
      { title: 'EFF membership card', heading: false },
      async (writer) => {
        await writer.grid(printed, { columns: 1, rows: 3, gap: 14 }, (c, box) =>
          drawCard(writer, c, box),
        );
      },
    );
    return { pdf, name: `eff-card-${member.membershipNumber}` };
  }

  /**
   * Every Active and Grace Period member of a ward, 8 cards per A4 page, streamed to `out` (headers set by
   * `start` once the cards are issued). 404 for a ward outside the admin's area or unknown.
   */
  async wardCards(
    actor: AuthUser,
    wardCode: string,
    start: (name: string) => Writable,
  ): Promise<void> {
    const chain = await this.geography.findWardChain(wardCode);
    if (!chain || !withinScope(actor, chain)) throw AppException.notFound(`Ward ${wardCode}`);
    this.keyring.signer();
    const holders = await this.standing.inGoodStandingOfWard(wardCode);
    const cards = await this.dataSource.transaction(async (manager) => {
      const issued = await this.issue(manager, holders, actor.id, { bulkWard: wardCode });
      await this.audit.record(
        {
          action: 'cards.ward_printed',
          entityType: 'ward',
          entityId: wardCode,
          provinceCode: chain.provinceCode,
          changes: { cards: issued.length },
        },
        manager,
      );
      return issued;
    });
    const byId = new Map(holders.map((m) => [m.id, m]));
    const printed = await this.printed(cards, byId);
    const writer = await PdfWriter.open(start(`eff-cards-ward-${wardCode}`), {
      title: `EFF membership cards, ward ${wardCode}`,
      heading: false,
    });
    if (printed.length === 0) writer.paragraph('No Active or Grace Period members in this ward.');
    await writer.grid(printed, CARDS_PER_PAGE, (c, box) => drawCard(writer, c, box));
    await writer.end();
  }

  private assertIssuable(member: Member): void {
    if (!ISSUABLE.includes(member.status) || !member.expiresOn)
      throw new AppException(
        HttpStatus.CONFLICT,
        ErrorCode.MemberIneligible,
        `Membership cards are issued only to Active or Grace Period members; this member is ${member.status}`,
        undefined,
        { currentStatus: member.status },
      );
  }

  /**
   * A card per member: the newest live card when it still says what would be printed now (same key, expiry,
   * status and ward: re-downloading gives the same token, Ed25519 signatures being deterministic), else a new one,
   * recorded and audited. Per-member advisory locks keep two downloads from issuing two cards.
   */
  private async issue(
    manager: EntityManager,
    members: readonly Member[],
    issuedBy: string,
    options: { bulkWard?: string } = {},
  ): Promise<MembershipCard[]> {
    if (members.length === 0) return [];
    const signer = this.keyring.signer();
    const ids = members.map((m) => m.id);
    await manager.query(
      'SELECT pg_advisory_xact_lock($1, hashtext(id)) FROM unnest($2::text[]) AS id ORDER BY id',
      [CARD_ISSUE_LOCK, ids],
    );
    const live = await manager.find(MembershipCard, {
      where: { memberId: In(ids), revokedAt: IsNull(), kid: signer.kid },
      order: { issuedAt: 'DESC' },
    });
    const reusable = new Map<string, MembershipCard>();
    for (const m of members) {
      const card = live.find(
        (c) =>
          c.memberId === m.id &&
          c.expiresOn === m.expiresOn &&
          c.memberStatus === String(m.status) &&
          c.wardCode === m.wardCode,
      );
      if (card) reusable.set(m.id, card);
    }
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const fresh = members
      .filter((m) => !reusable.has(m.id))
      .map((m) =>
        manager.create(MembershipCard, {
          memberId: m.id,
          kid: signer.kid,
          issuedAt,
          expiresOn: m.expiresOn!,
          validUntil: this.validUntil(m.expiresOn!),
          memberStatus: m.status,
          wardCode: m.wardCode,
          issuedBy,
        }),
      );
    const created: MembershipCard[] = [];
    for (let i = 0; i < fresh.length; i += 1000) {
      created.push(...(await manager.save(MembershipCard, fresh.slice(i, i + 1000))));
    }
    if (!options.bulkWard) {
      const byId = new Map(members.map((m) => [m.id, m]));
      for (const card of created)
        await this.audit.record(
          {
            action: 'member.card_issued',
            entityType: 'member',
            entityId: card.memberId,
            provinceCode: byId.get(card.memberId)?.provinceCode ?? null,
            changes: { serial: card.serial, kid: card.kid, expiresOn: card.expiresOn },
          },
          manager,
        );
    }
    const createdById = new Map(created.map((c) => [c.memberId, c]));
    return members.map((m) => reusable.get(m.id) ?? createdById.get(m.id)!);
  }

  /** The end of a card's validity: the membership's expiry plus the grace period, end of that day (SA time). */
  private validUntil(expiresOn: string): Date {
    return new Date(`${addDays(expiresOn, this.config.GRACE_PERIOD_DAYS)}T23:59:59+02:00`);
  }

  private tokenOf(card: MembershipCard): string {
    const signer = this.keyring.signer();
    return signCardToken(
      {
        sn: Number(card.serial),
        iat: Math.floor(card.issuedAt.getTime() / 1000),
        exp: Math.floor(card.validUntil.getTime() / 1000),
      },
      signer.kid,
      signer.privateKey,
    );
  }

  private async wardName(code: string): Promise<string> {
    const ward = await this.geography.getWard(code);
    return `${ward.name}, ${ward.municipality.name}`;
  }

  private async printed(
    cards: readonly MembershipCard[],
    members: ReadonlyMap<string, Member>,
  ): Promise<PrintedCard[]> {
    const names = new Map<string, string>();
    for (const code of new Set(cards.map((c) => c.wardCode)))
      names.set(code, await this.wardName(code));
    return cards.map((card) => {
      const m = members.get(card.memberId)!;
      return {
        serial: card.serial,
        name: `${m.firstNames} ${m.surname}`,
        membershipNumber: m.membershipNumber,
        wardName: names.get(card.wardCode)!,
        wardCode: card.wardCode,
        status: STATUS_LABEL[card.memberStatus as MemberStatus] ?? card.memberStatus,
        expiresOn: card.expiresOn,
        issuedOn: todayInSouthAfrica(card.issuedAt),
        token: this.tokenOf(card),
      };
    });
  }

  // --- revocation ---

  /** Revokes every live card of a member inside the admin's area (404 outside); a new card may be issued later. */
  async revoke(actor: AuthUser, id: string, reason: string): Promise<CardsRevokedDto> {
    return this.dataSource.transaction(async (manager) => {
      const member = await this.members.findInScope(actor, id, { manager });
      const rows: { serial: string }[] = await manager.query(
        `UPDATE membership_cards
            SET revoked_at = now(), revocation = $2, reason = $3, revoked_by = $4
          WHERE member_id = $1 AND revoked_at IS NULL
          RETURNING serial`,
        [id, CardRevocation.Admin, reason, actor.id],
      );
      const serials = (Array.isArray(rows[0]) ? (rows[0] as { serial: string }[]) : rows).map(
        (r) => r.serial,
      );
      await this.audit.record(
        {
          action: 'member.cards_revoked',
          entityType: 'member',
          entityId: id,
          provinceCode: member.provinceCode,
          changes: { serials, reason },
        },
        manager,
      );
      return { revoked: serials.length };
    });
  }

  // --- verification ---

  /**
   * The public check of a scanned token. Recorded as an anonymous `card.verified` access (serial, result, the
   * member's province): nothing about who scanned.
   */
  async verify(token: string): Promise<CardVerificationDto> {
    const { answer, card, provinceCode } = await this.check(token);
    this.audit.recordAnonymousAccess({
      action: 'card.verified',
      entityType: 'membership_card',
      entityId: card?.serial ?? null,
      provinceCode,
      changes: { result: answer.result },
    });
    return answer;
  }

  private async check(token: string): Promise<{
    answer: CardVerificationDto;
    card: { serial: string } | null;
    provinceCode: string | null;
  }> {
    const unknown = {
      answer: { result: CardVerificationResult.Unknown, ...NOTHING },
      card: null,
      provinceCode: null,
    };
    const parsed = parseCardToken(token);
    if (!parsed) return unknown;
    const key = this.keyring.verifier(parsed.kid);
    if (!key || !this.signatureVerifies(parsed, key)) return unknown;
    const { sn, iat, exp } = parsed.claims;
    const row = await this.cardState(sn);
    if (!row || row.kid !== parsed.kid || row.iat !== iat || row.exp !== exp) return unknown;
    const card = { serial: row.serial };
    const provinceCode = row.province_code;
    const revoked = {
      answer: { result: CardVerificationResult.Revoked, ...NOTHING },
      card,
      provinceCode,
    };
    if (!row.status || row.anonymised) return revoked;
    const status = row.status as MemberStatus;
    const lapsed =
      row.revocation === CardRevocation.Expired ||
      (!row.revoked && status === MemberStatus.Expired);
    const stillHeld =
      !row.revoked && ISSUABLE.includes(status) && row.member_ward === row.ward_code;
    if (!lapsed && !stillHeld) return revoked;
    const result =
      lapsed || Date.now() > row.exp * 1000
        ? CardVerificationResult.Expired
        : CardVerificationResult.Valid;
    return {
      answer: {
        result,
        initials: initialsOf(row.first_names ?? ''),
        surnameInitial: initialsOf(row.surname ?? '').slice(0, 1),
        wardName: await this.wardName(row.ward_code),
        expiresOn: row.expires_on,
      },
      card,
      provinceCode,
    };
  }

  /**
   * The card and its member's current state in one round trip (the public verification's hot path): the one read
   * of the members table outside libs/members, by primary key, of the columns verification needs. The trigger
   * already revokes cards in the transaction of a member change; reading the member as well is the second check.
   * On the primary (a revocation counts at once, whatever a replica's lag), as a prepared statement.
   */
  private async cardState(serial: number): Promise<CardStateRow | null> {
    const rows = await this.reads.query<CardStateRow>(
      `SELECT c.serial::text AS serial, c.kid,
              extract(epoch FROM c.issued_at)::float8 AS iat,
              extract(epoch FROM c.valid_until)::float8 AS exp,
              to_char(c.expires_on, 'YYYY-MM-DD') AS expires_on, c.ward_code,
              c.revoked_at IS NOT NULL AS revoked, c.revocation,
              m.status::text AS status, m.ward_code AS member_ward, m.first_names, m.surname,
              m.province_code, m.anonymised_at IS NOT NULL AS anonymised
         FROM membership_cards c LEFT JOIN members m ON m.id = c.member_id
        WHERE c.serial = $1`,
      [serial],
      { prepared: true, primary: true },
    );
    return rows[0] ?? null;
  }
}

/** One card in its box: the holder's details on the left, the QR code (the token) on the right. */
async function drawCard(writer: PdfWriter, card: PrintedCard, box: PdfBox): Promise<void> {
  const doc = writer.pdf;
  const pad = 10;
  const qr = Math.min(box.height - 2 * pad, box.width * 0.42);
  const textWidth = box.width - qr - 3 * pad;
  doc.save();
  doc.lineWidth(1).roundedRect(box.x, box.y, box.width, box.height, 8).stroke();
  doc.restore();
  const x = box.x + pad;
  let y = box.y + pad;
  const line = (text: string, font: string, size: number): void => {
    doc
      .font(font)
      .fontSize(size)
      .text(text, x, y, { width: textWidth, lineBreak: false, ellipsis: true });
    y += size + 4;
  };
  line('EFF MEMBERSHIP CARD', 'Helvetica-Bold', 10);
  y += 2;
  line(card.name, 'Helvetica-Bold', 10);
  line(`Membership no. ${card.membershipNumber}`, 'Helvetica', 8);
  line(`Ward: ${card.wardName} (${card.wardCode})`, 'Helvetica', 8);
  line(`Status: ${card.status}`, 'Helvetica', 8);
  line(`Expires: ${card.expiresOn}`, 'Helvetica', 8);
  line(`Card ${card.serial}, issued ${card.issuedOn}`, 'Helvetica', 7);
  await writer.qrCode(card.token, box.x + box.width - pad - qr, box.y + (box.height - qr) / 2, qr);
}
