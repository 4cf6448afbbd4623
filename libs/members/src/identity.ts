import { parsePhoneNumberFromString } from 'libphonenumber-js';
import saIdParser from 'south-african-id-parser';

export enum Gender {
  Female = 'female',
  Male = 'male',
}

export enum Citizenship {
  Citizen = 'citizen',
  PermanentResident = 'permanent_resident',
}

/** What a South African ID number says about its holder; never typed in by hand. */
export interface IdentityFacts {
  /** YYYY-MM-DD */
  dateOfBirth: string;
  gender: Gender;
  citizenship: Citizenship;
}

export type IdNumberCheck =
  { valid: true; facts: IdentityFacts } | { valid: false; reason: string };

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Validates a 13-digit ID number (YYMMDD SSSS C A Z) with a precise reason when it is not valid, and derives
 * date of birth (the century that puts it in the past), gender (SSSS < 5000 female) and citizenship (C).
 */
export function checkIdNumber(idNumber: string, today: Date = new Date()): IdNumberCheck {
  if (!/^\d{13}$/.test(idNumber)) {
    return { valid: false, reason: 'An ID number has exactly 13 digits' };
  }
  const yy = Number(idNumber.slice(0, 2));
  const mm = Number(idNumber.slice(2, 4));
  const dd = Number(idNumber.slice(4, 6));
  const thisYear = today.getUTCFullYear();
  let year = 2000 + yy;
  const candidate = (y: number): Date => new Date(Date.UTC(y, mm - 1, dd));
  if (candidate(year) > today || year > thisYear) year -= 100;
  const born = candidate(year);
  if (
    mm < 1 ||
    mm > 12 ||
    born.getUTCFullYear() !== year ||
    born.getUTCMonth() !== mm - 1 ||
    born.getUTCDate() !== dd
  ) {
    return {
      valid: false,
      reason: 'The first six digits of an ID number must be a real date (YYMMDD)',
    };
  }
  const citizenshipDigit = idNumber[10];
  if (citizenshipDigit !== '0' && citizenshipDigit !== '1') {
    return {
      valid: false,
      reason: 'The 11th digit of an ID number must be 0 (citizen) or 1 (permanent resident)',
    };
  }
  if (!luhnValid(idNumber)) {
    return { valid: false, reason: 'The check digit of the ID number is wrong' };
  }
  // The library is the reference implementation; refuse anything it does not accept either.
  if (!saIdParser.validate(idNumber)) {
    return { valid: false, reason: 'The ID number is not valid' };
  }
  return {
    valid: true,
    facts: {
      dateOfBirth: born.toISOString().slice(0, 10),
      gender: Number(idNumber.slice(6, 10)) < 5000 ? Gender.Female : Gender.Male,
      citizenship: citizenshipDigit === '0' ? Citizenship.Citizen : Citizenship.PermanentResident,
    },
  };
}

/** A South African mobile or landline number in E.164 (`0821234567` -> `+27821234567`), or null if invalid. */
export function normaliseCellNumber(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), 'ZA');
  if (!parsed || !parsed.isValid() || !/^\+27\d{9}$/.test(parsed.number)) return null;
  return parsed.number;
}

/** An ID number as reports may show it (POPIA): every digit but the last four masked. */
export function maskIdNumber(idNumber: string | undefined): string | null {
  if (!idNumber) return null;
  const digits = idNumber.replace(/[\s-]/g, '').slice(0, 13);
  return digits.length <= 4
    ? '*'.repeat(digits.length)
    : `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}
