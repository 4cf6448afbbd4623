import { AppException } from '@app/core';
import { smsSegments, SmsSegments } from './sms-segments.js';

/** The variables a template may name, as {{name}}. */
export const TEMPLATE_VARIABLES = [
  'firstName',
  'membershipNumber',
  'expiryDate',
  'meetingDate',
  'meetingPlace',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** Filled per member when the messages are queued (in SQL). */
export const MEMBER_VARIABLES: readonly TemplateVariable[] = [
  'firstName',
  'membershipNumber',
  'expiryDate',
];
/** Filled once per campaign from the values it is given. */
export const CAMPAIGN_VARIABLES: readonly TemplateVariable[] = ['meetingDate', 'meetingPlace'];

/**
 * Longest value each member variable is assumed to take when a template's size is worked out before any member
 * is known (first names are capped at 20 characters when filled; membership numbers are at most 20).
 */
export const SIZING_SAMPLES: Record<TemplateVariable, string> = {
  firstName: 'X'.repeat(20),
  membershipNumber: 'X'.repeat(20),
  expiryDate: '2026-12-31',
  meetingDate: '2026-12-31 18:00',
  meetingPlace: 'X'.repeat(60),
};

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Checks every {{placeholder}} of `text` names a known variable (400 naming the first unknown one, with `field`)
 * and returns the text with placeholders written canonically ({{ name }} → {{name}}) and the variables used.
 */
export function parseTemplateText(
  text: string,
  field: string,
): { text: string; variables: TemplateVariable[] } {
  const used = new Set<TemplateVariable>();
  const canonical = text.replace(PLACEHOLDER, (_match, raw: string) => {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(raw))
      throw AppException.badRequest(
        `Unknown template variable {{${raw}}}; known variables: ${TEMPLATE_VARIABLES.join(', ')}`,
        field,
        'unknown_variable',
      );
    used.add(raw as TemplateVariable);
    return `{{${raw}}}`;
  });
  return { text: canonical, variables: TEMPLATE_VARIABLES.filter((v) => used.has(v)) };
}

/** Replaces the given variables' placeholders in canonical text (others stay). */
export function fillVariables(
  text: string,
  values: Partial<Record<TemplateVariable, string>>,
): string {
  let out = text;
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) out = out.split(`{{${name}}}`).join(value);
  return out;
}

/** The SMS text as sent: the wording and the opt-out text on its own line. */
export function withOptOut(body: string, optOutText: string): string {
  return `${body.trimEnd()}\n${optOutText}`;
}

/** The email text as sent: the wording, a signature separator and the opt-out text (with its link placeholder). */
export function withEmailOptOut(body: string, optOutText: string): string {
  return `${body.trimEnd()}\n\n-- \n${optOutText}`;
}

/** Size of an SMS built from `body` (canonical, opt-out added) with the sizing samples for unfilled variables. */
export function sizeSms(body: string): SmsSegments {
  return smsSegments(fillVariables(body, SIZING_SAMPLES));
}

/** 400 unless the SMS fits `maxSegments`. */
export function requireSmsFits(size: SmsSegments, maxSegments: number, field: string): void {
  if (size.segments > maxSegments)
    throw AppException.badRequest(
      `The SMS takes ${size.segments} ${size.encoding} segments (opt-out text and longest variable values included); at most ${maxSegments} are allowed`,
      field,
      'too_many_segments',
    );
}
