import { todayInSouthAfrica } from './south-african-time.js';

describe('todayInSouthAfrica', () => {
  it('uses the South African calendar day', () => {
    expect(todayInSouthAfrica(new Date('2026-01-01T22:30:00Z'))).toBe('2026-01-02');
    expect(todayInSouthAfrica(new Date('2026-01-01T21:30:00Z'))).toBe('2026-01-01');
  });
});
