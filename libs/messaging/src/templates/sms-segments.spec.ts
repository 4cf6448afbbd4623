import { smsSegments } from './sms-segments.js';

describe('smsSegments', () => {
  it('counts an empty text as no segment', () => {
    expect(smsSegments('')).toMatchObject({ encoding: 'GSM-7', units: 0, segments: 0 });
  });

  it('fits 160 GSM-7 characters in one segment and splits 161 into two of 153', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({
      encoding: 'GSM-7',
      units: 160,
      segments: 1,
      perSegment: 160,
    });
    expect(smsSegments('a'.repeat(161))).toMatchObject({ segments: 2, perSegment: 153 });
    expect(smsSegments('a'.repeat(306))).toMatchObject({ segments: 2 });
    expect(smsSegments('a'.repeat(307))).toMatchObject({ segments: 3 });
  });

  it('counts extension-table characters as two septets and stays GSM-7', () => {
    expect(smsSegments('€')).toMatchObject({ encoding: 'GSM-7', units: 2, segments: 1 });
    expect(smsSegments('{}[]~|^\\')).toMatchObject({ encoding: 'GSM-7', units: 16 });
    expect(smsSegments('€'.repeat(80))).toMatchObject({ units: 160, segments: 1 });
    expect(smsSegments('€'.repeat(81))).toMatchObject({ units: 162, segments: 2 });
  });

  it('never splits an escape pair: 152 plain characters and a euro sign take two segments', () => {
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(8)}`)).toMatchObject({
      units: 162,
      segments: 2,
    });
    // 306 septets would fit 2 x 153, but the pair cannot straddle the boundary: 152 | 2 + 151 | 1
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toMatchObject({
      units: 306,
      segments: 3,
    });
  });

  it('keeps the GSM-7 accented letters (é, ü, Ñ, à) GSM-7 and makes ú (not in the set) UCS-2', () => {
    expect(smsSegments('Café Müller Ñoño à Ø')).toMatchObject({ encoding: 'GSM-7' });
    expect(smsSegments('Ñandú')).toMatchObject({ encoding: 'UCS-2' });
  });

  it('switches to UCS-2 for one character outside the alphabet: 70 per segment, 67 when split', () => {
    expect(smsSegments('ā')).toMatchObject({ encoding: 'UCS-2', units: 1, segments: 1 });
    expect(smsSegments(`${'a'.repeat(69)}ā`)).toMatchObject({ units: 70, segments: 1 });
    expect(smsSegments(`${'a'.repeat(70)}ā`)).toMatchObject({
      units: 71,
      segments: 2,
      perSegment: 67,
    });
    expect(smsSegments('ā'.repeat(134))).toMatchObject({ segments: 2 });
    expect(smsSegments('ā'.repeat(135))).toMatchObject({ segments: 3 });
  });

  it('counts an emoji as two UCS-2 units and never splits the pair', () => {
    expect(smsSegments('✊🏾')).toMatchObject({ encoding: 'UCS-2', units: 3 });
    expect(smsSegments(`${'a'.repeat(66)}😀`)).toMatchObject({ units: 68, segments: 1 });
    expect(smsSegments(`${'a'.repeat(69)}😀`)).toMatchObject({ units: 71, segments: 2 });
    // 66 units then a pair: the pair cannot fit the 67-unit first segment whole
    expect(smsSegments(`${'a'.repeat(66)}😀${'a'.repeat(65)}`)).toMatchObject({ segments: 2 });
    expect(smsSegments(`${'a'.repeat(66)}😀${'a'.repeat(66)}`)).toMatchObject({ segments: 3 });
  });
});
