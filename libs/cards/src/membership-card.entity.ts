import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Why a card stopped being valid: set by the members trigger (status, expired, transfer) or by an admin. */
export enum CardRevocation {
  /** The member's status left Active / Grace Period (Suspended, Cancelled, Deceased, Pending). */
  Status = 'status',
  /** The member's status became Expired (the membership lapsed): verification answers `expired`. */
  Expired = 'expired',
  /** The member moved to another ward. */
  Transfer = 'transfer',
  /** An administrator revoked it (POST /members/{id}/card/revoke). */
  Admin = 'admin',
}

/**
 * One issued membership card: the serial the signed token carries, the key that signed it and what was printed.
 * Revocation is set in the same transaction as the member change (trigger `members_revoke_cards`, migration
 * MembershipCards) or by an admin; a revoked card never becomes valid again.
 */
@Entity({ name: 'membership_cards' })
@Index('IDX_membership_cards_member', ['memberId', 'issuedAt'])
export class MembershipCard {
  /** The card's serial number (the token's `sn` claim). */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  serial!: string;

  /** The member's id; no foreign key (this module owns no members). */
  @Column({ type: 'uuid' })
  memberId!: string;

  /** The key that signed the card's token. */
  @Column({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'timestamptz' })
  issuedAt!: Date;

  /** The membership's expiry date as of issue (printed on the card). */
  @Column({ type: 'date' })
  expiresOn!: string;

  /** The end of the card's validity (the token's `exp`): the expiry date plus the grace period, as of issue. */
  @Column({ type: 'timestamptz' })
  validUntil!: Date;

  /** The member's status as of issue (active or grace_period). */
  @Column({ type: 'varchar', length: 20 })
  memberStatus!: string;

  /** The member's ward as of issue. */
  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  /** The user who issued it (the member themself, or an admin). */
  @Column({ type: 'uuid', nullable: true })
  issuedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  revocation!: CardRevocation | null;

  /** Why: the admin's reason, or what changed (e.g. "status suspended"). */
  @Column({ type: 'varchar', length: 300, nullable: true })
  reason!: string | null;

  @Column({ type: 'uuid', nullable: true })
  revokedBy!: string | null;
}
