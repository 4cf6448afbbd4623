import { PipeTransform } from '@nestjs/common';
import { AppException } from '@app/core';

export enum GeographyLevel {
  Province = 'province',
  District = 'district',
  Municipality = 'municipality',
  Ward = 'ward',
}

/** Shapes of the Municipal Demarcation Board's codes, per level. */
export const GEOGRAPHY_CODE_PATTERNS: Record<GeographyLevel, RegExp> = {
  [GeographyLevel.Province]: /^[A-Z]{2,3}$/,
  [GeographyLevel.District]: /^(DC\d{1,2}|[A-Z]{3})$/,
  [GeographyLevel.Municipality]: /^([A-Z]{2,3}\d{3}|[A-Z]{3})$/,
  [GeographyLevel.Ward]: /^\d{8}$/,
};

export const GEOGRAPHY_CODE_EXAMPLES: Record<GeographyLevel, string> = {
  [GeographyLevel.Province]: 'GP',
  [GeographyLevel.District]: 'DC42',
  [GeographyLevel.Municipality]: 'GT421',
  [GeographyLevel.Ward]: '79800001',
};

export function normaliseGeographyCode(level: GeographyLevel, raw: string): string | null {
  const code = raw.trim().toUpperCase();
  return GEOGRAPHY_CODE_PATTERNS[level].test(code) ? code : null;
}

/** Path-parameter pipe: upper-cases a code and rejects one of the wrong shape with a 400. */
export class GeographyCodePipe implements PipeTransform<string, string> {
  constructor(private readonly level: GeographyLevel) {}

  transform(value: string): string {
    const code = normaliseGeographyCode(this.level, String(value ?? ''));
    if (!code) {
      throw AppException.badRequest(
        `"${String(value).slice(0, 20)}" is not a ${this.level} code (e.g. ${GEOGRAPHY_CODE_EXAMPLES[this.level]})`,
        'code',
        'invalidCode',
      );
    }
    return code;
  }
}
