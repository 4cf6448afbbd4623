import { randomUUID } from 'node:crypto';
import type { Faker } from '@faker-js/faker';
import { MemberStatus } from '../entities/member.entity.js';
import type { MembershipPolicy } from '../membership-dates.js';

/** The ward columns a generated member is placed in (denormalised parents included). */
export interface SeedWard {
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
}

/** The columns of `members` a generated row fills, in COPY order. */
export const SEED_MEMBER_COLUMNS = [
  'id',
  'membership_number',
  'id_number',
  'first_names',
  'surname',
  'date_of_birth',
  'gender',
  'citizenship',
  'cell_number',
  'email',
  'ward_code',
  'municipality_code',
  'district_code',
  'province_code',
  'status',
  'joined_on',
  'last_paid_on',
  'expires_on',
  'consent_given_at',
  'version',
] as const;

export interface MemberRowGeneratorOptions {
  /** How many rows to produce. */
  count: number;
  /** Seeds faker (name pools) and the row PRNG, so the same seed and database state give the same members. */
  seed: number;
  wards: readonly SeedWard[];
  /** The first membership-number sequence value reserved for these rows (count values in a row). */
  firstSequenceValue: bigint;
  /**
   * Highest SSSS already used per birth date (YYMMDD) and gender ('f'/'m'), e.g. `800101m` -> 5009; new ID
   * numbers continue after them, so they collide neither with each other nor with existing members.
   */
  usedSerials?: ReadonlyMap<string, number>;
  /** "Today" for statuses and expiry dates (UTC midnight). */
  today?: Date;
  /** The configured membership period and grace period (membershipPolicy(config)). */
  policy: MembershipPolicy;
}

/** The EFF was founded on 26 July 2013; nobody joined before. */
const FOUNDED = Date.UTC(2013, 6, 26) / 86_400_000;
const DAY_MS = 86_400_000;
/** Mobile prefixes after +27 (Vodacom, MTN, Cell C, Telkom). */
const CELL_PREFIXES = [
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '72',
  '73',
  '74',
  '76',
  '78',
  '79',
  '81',
  '82',
  '83',
  '84',
];

/** Status mix of the synthetic membership (cumulative thresholds over [0, 1)). */
const STATUS_MIX: Array<[MemberStatus, number]> = [
  [MemberStatus.Active, 0.55],
  [MemberStatus.GracePeriod, 0.7],
  [MemberStatus.Expired, 0.95],
  [MemberStatus.Suspended, 0.98],
  [MemberStatus.Cancelled, 0.99],
  [MemberStatus.Deceased, 1],
];

/** mulberry32: a small, fast, seedable PRNG (the row loop calls it ~20 times per member). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The Luhn check digit of the first 12 digits of a South African ID number. */
export function idNumberCheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i += 1) {
    let digit = first12.charCodeAt(11 - i) - 48;
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** COPY text format: backslash, tab and newlines escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

/**
 * Produces realistic synthetic members as COPY text lines (`SEED_MEMBER_COLUMNS`): valid, unique ID numbers
 * (real birth dates, Luhn check digit, about half women, 97% citizens), South African names from faker's en_ZA
 * locale, wards weighted by a skewed per-ward size, a realistic status mix with consistent joined / last paid /
 * expiry dates (24-month membership, 90-day grace), E.164 cell numbers for most and emails for some.
 */
export class MemberRowGenerator {
  private readonly random: () => number;
  private readonly firstFemale: string[];
  private readonly firstMale: string[];
  private readonly surnames: string[];
  private readonly emailNames: Map<string, string> = new Map();
  private readonly wardLines: string[];
  private readonly wardCumulative: Float64Array;
  /** Keyed by Number(YYMMDD) * 2 + (0 female, 1 male). */
  private readonly nextSerial = new Map<number, number>();
  private readonly usedSerials = new Map<number, number>();
  private readonly firstSequence: number;
  private readonly monthShifts = new Map<number, number>();
  private readonly yymmddStrings = new Map<number, string>();
  private readonly pick: <T>(list: readonly T[]) => T;
  private readonly today: number;
  private readonly dayStrings = new Map<number, string>();
  private produced = 0;

  /**
   * Loads faker lazily: it is a development dependency, and this module is part of the members library that
   * production imports.
   */
  static async create(options: MemberRowGeneratorOptions): Promise<MemberRowGenerator> {
    const { fakerEN_ZA } = await import('@faker-js/faker');
    return new MemberRowGenerator(options, fakerEN_ZA);
  }

  private constructor(
    private readonly options: MemberRowGeneratorOptions,
    fakerEN_ZA: Faker,
  ) {
    if (options.wards.length === 0) throw new Error('No wards: load the geography first');
    this.random = mulberry32(options.seed);
    for (const [key, serial] of options.usedSerials ?? [])
      this.usedSerials.set(Number(key.slice(0, 6)) * 2 + (key.endsWith('f') ? 0 : 1), serial);
    this.firstSequence = Number(options.firstSequenceValue);
    const random = this.random;
    this.pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    this.today = Math.floor((options.today ?? new Date()).getTime() / DAY_MS);

    // Name pools drawn through faker once (its en_ZA patterns include double-barrelled surnames); rows then
    // pick from them with the fast PRNG, which is ~20x quicker than calling faker per row.
    fakerEN_ZA.seed(options.seed);
    const pool = (size: number, draw: () => string) =>
      Array.from({ length: size }, () => copyText(draw()));
    this.firstFemale = pool(4000, () => fakerEN_ZA.person.firstName('female'));
    this.firstMale = pool(4000, () => fakerEN_ZA.person.firstName('male'));
    this.surnames = pool(8000, () => fakerEN_ZA.person.lastName());

    // Ward sizes vary (log-normal-ish weights around 1), so some branches are large and some small.
    this.wardLines = options.wards.map((w) =>
      [w.wardCode, w.municipalityCode, w.districtCode, w.provinceCode].join('\t'),
    );
    this.wardCumulative = new Float64Array(options.wards.length);
    let total = 0;
    for (let i = 0; i < options.wards.length; i += 1) {
      total += Math.exp(0.45 * this.gaussian());
      this.wardCumulative[i] = total;
    }
    for (let i = 0; i < options.wards.length; i += 1) this.wardCumulative[i]! /= total;
  }

  get remaining(): number {
    return this.options.count - this.produced;
  }

  /** Up to `max` rows as one COPY text chunk, or null when all rows were produced. */
  nextChunk(max: number): string | null {
    const n = Math.min(max, this.remaining);
    if (n <= 0) return null;
    const lines = new Array<string>(n);
    for (let i = 0; i < n; i += 1) lines[i] = this.nextLine();
    return lines.join('');
  }

  /** One row as a COPY text line (ending in a newline). */
  nextLine(): string {
    const r = this.random;
    const sequence = this.firstSequence + this.produced;
    this.produced += 1;

    const status = this.pickStatus();
    const { joined, lastPaid, expires } = this.membershipDates(status);
    // Born at least 18 years before joining; ages skew young like the party's membership.
    const ageAtJoining = 18 + (Math.floor(-Math.log(1 - r()) * 14) % 60);
    let born = joined - Math.round(ageAtJoining * 365.25) - Math.floor(r() * 365);
    const female = r() < 0.52;
    const citizen = r() < 0.97;
    let yymmdd: string;
    let serial: number;
    for (;;) {
      yymmdd = this.yymmdd(born);
      const key = Number(yymmdd) * 2 + (female ? 0 : 1);
      const next =
        this.nextSerial.get(key) ?? (this.usedSerials.get(key) ?? (female ? -1 : 4999)) + 1;
      if (next <= (female ? 4999 : 9999)) {
        this.nextSerial.set(key, next + 1);
        serial = next;
        break;
      }
      born -= 1; // every number for that day and gender is taken: one day older
    }
    const first12 = `${yymmdd}${String(serial).padStart(4, '0')}${citizen ? '0' : '1'}8`;
    const idNumber = first12 + String(idNumberCheckDigit(first12));

    const firstPool = female ? this.firstFemale : this.firstMale;
    const pick = this.pick;
    const firstName = pick(firstPool);
    const firstNames = r() < 0.3 ? `${firstName} ${pick(firstPool)}` : firstName;
    const surname = pick(this.surnames);

    const cell =
      r() < 0.9
        ? `+27${pick(CELL_PREFIXES)}${String(Math.floor(r() * 10_000_000)).padStart(7, '0')}`
        : '\\N';
    const email =
      r() < 0.3
        ? `${this.emailName(firstName)}.${this.emailName(surname)}${Math.floor(r() * 1000)}@example.org`
        : '\\N';

    const joinedDay = this.day(joined);
    const membershipNumber = `EFF${joinedDay.slice(0, 4)}${sequence.toString().padStart(7, '0')}`;
    return `${randomUUID()}\t${membershipNumber}\t${idNumber}\t${firstNames}\t${surname}\t${this.day(born)}\t${
      female ? 'female' : 'male'
    }\t${citizen ? 'citizen' : 'permanent_resident'}\t${cell}\t${email}\t${this.pickWard()}\t${status}\t${joinedDay}\t${this.day(
      lastPaid,
    )}\t${this.day(expires)}\t${joinedDay} 10:00:00+02\t1\n`;
  }

  private pickStatus(): MemberStatus {
    const x = this.random();
    for (const [status, upTo] of STATUS_MIX) if (x < upTo) return status;
    return MemberStatus.Active;
  }

  /** Joined, last paid and expiry day numbers consistent with the status relative to today. */
  private membershipDates(status: MemberStatus): {
    joined: number;
    lastPaid: number;
    expires: number;
  } {
    const r = this.random;
    const today = this.today;
    const { periodMonths, graceDays } = this.options.policy;
    const between = (from: number, to: number) =>
      from + Math.floor(r() * Math.max(1, to - from + 1));
    let expires: number;
    switch (status) {
      case MemberStatus.Active:
        expires = between(today, this.addMonths(today, periodMonths) - 1);
        break;
      case MemberStatus.GracePeriod:
        expires = between(today - graceDays, today - 1);
        break;
      case MemberStatus.Expired:
        expires = between(this.addMonths(FOUNDED, periodMonths), today - graceDays - 1);
        break;
      default:
        expires = between(
          this.addMonths(FOUNDED, periodMonths),
          this.addMonths(today, periodMonths) - 1,
        );
    }
    let lastPaid = this.addMonths(expires, -periodMonths);
    if (lastPaid < FOUNDED) lastPaid = FOUNDED;
    expires = this.addMonths(lastPaid, periodMonths);
    // Most members renewed at least once: joined some whole terms before the last payment.
    const terms = Math.floor(r() * 4);
    let joined = this.addMonths(lastPaid, -periodMonths * terms);
    while (joined < FOUNDED) joined = this.addMonths(joined, periodMonths);
    joined = Math.max(FOUNDED, joined - Math.floor(r() * 30));
    return { joined, lastPaid, expires };
  }

  private addMonths(day: number, months: number): number {
    const key = day * 512 + months + 256; // |months| < 256
    let shifted = this.monthShifts.get(key);
    if (shifted === undefined) {
      const d = new Date(day * DAY_MS);
      shifted = Math.floor(
        Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()) / DAY_MS,
      );
      this.monthShifts.set(key, shifted);
    }
    return shifted;
  }

  private yymmdd(day: number): string {
    let text = this.yymmddStrings.get(day);
    if (text === undefined) {
      text = this.day(day).slice(2).replaceAll('-', '');
      this.yymmddStrings.set(day, text);
    }
    return text;
  }

  private day(day: number): string {
    let text = this.dayStrings.get(day);
    if (text === undefined) {
      text = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.dayStrings.set(day, text);
    }
    return text;
  }

  private emailName(name: string): string {
    let text = this.emailNames.get(name);
    if (text === undefined) {
      text = name.toLowerCase().replace(/[^a-z]/g, '');
      this.emailNames.set(name, text);
    }
    return text;
  }

  private pickWard(): string {
    const x = this.random();
    let lo = 0;
    let hi = this.wardCumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.wardCumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.wardLines[lo]!;
  }

  private gaussian(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
