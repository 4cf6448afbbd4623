/** GSM 03.38 basic character set (each one septet). */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** GSM 03.38 extension table: each one costs two septets (escape + character). */
const GSM7_EXTENDED = new Set('^{}\\[~]|€\f');

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
  segments: number;
  /** Units per segment for this text (160/153 GSM-7, 70/67 UCS-2). */
  perSegment: number;
}

/**
 * Encoding and segment count of an SMS text: GSM-7 when every character is in the basic set or the extension
 * table (which costs two septets), else UCS-2 (UTF-16 code units, so a character outside the BMP costs two).
 * One segment holds 160 septets / 70 units; a concatenated message 153 / 67 per segment (the UDH takes the rest).
 * A GSM-7 escape pair is never split across segments.
 */
export function smsSegments(text: string): SmsSegments {
  let gsm = true;
  for (const ch of text) {
    if (!GSM7_BASIC.has(ch) && !GSM7_EXTENDED.has(ch)) {
      gsm = false;
      break;
    }
  }
  if (!gsm) {
    const units = text.length; // UTF-16 code units
    if (units <= 70)
      return { encoding: 'UCS-2', units, segments: units === 0 ? 0 : 1, perSegment: 70 };
    // a surrogate pair is not split: count segment by segment
    let segments = 1;
    let used = 0;
    for (const ch of text) {
      const size = ch.length;
      if (used + size > 67) {
        segments += 1;
        used = 0;
      }
      used += size;
    }
    return { encoding: 'UCS-2', units, segments, perSegment: 67 };
  }
  let units = 0;
  for (const ch of text) units += GSM7_EXTENDED.has(ch) ? 2 : 1;
  if (units <= 160)
    return { encoding: 'GSM-7', units, segments: units === 0 ? 0 : 1, perSegment: 160 };
  let segments = 1;
  let used = 0;
  for (const ch of text) {
    const size = GSM7_EXTENDED.has(ch) ? 2 : 1;
    if (used + size > 153) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding: 'GSM-7', units, segments, perSegment: 153 };
}

/** Whether the text fits the GSM 03.38 alphabet (basic set and extension table). */
export function isGsm7Text(text: string): boolean {
  return smsSegments(text).encoding === 'GSM-7';
}
