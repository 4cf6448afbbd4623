import { CENSORED, censorSensitive, maskDigits } from './redaction.js';

describe('censorSensitive', () => {
  it('censors sensitive keys at any depth and in arrays, in any case, without touching the input', () => {
    const input = {
      msg: 'created',
      member: {
        idNumber: '8001015009087',
        surname: 'Malema',
        contact: { CellNumber: '+27821234567' },
      },
      rows: [{ email: 'a@b.c', ward: '79800001' }, 'text'],
      req: { headers: { authorization: 'Bearer x', 'set-cookie': 'k=v' } },
    };
    const snapshot = structuredClone(input);
    expect(censorSensitive(input)).toEqual({
      msg: 'created',
      member: { idNumber: CENSORED, surname: 'Malema', contact: { CellNumber: CENSORED } },
      rows: [{ email: CENSORED, ward: '79800001' }, 'text'],
      req: { headers: { authorization: CENSORED, 'set-cookie': CENSORED } },
    });
    expect(input).toEqual(snapshot);
  });

  it('returns the very same objects when there is nothing to censor', () => {
    const line = {
      req: { id: 'r1', method: 'GET', url: '/api/v1/members' },
      res: { statusCode: 200 },
    };
    expect(censorSensitive(line)).toBe(line);
  });

  it('leaves null and undefined sensitive values alone and ignores class instances', () => {
    const error = Object.assign(new Error('boom'), { password: 'x' });
    const line = { password: null, token: undefined, err: error };
    expect(censorSensitive(line)).toBe(line);
  });
});

describe('maskDigits', () => {
  it('masks ID and cell numbers in a URL', () => {
    expect(maskDigits('/api/v1/members?q=8001015009087')).toBe(`/api/v1/members?q=${CENSORED}`);
    expect(maskDigits('/api/v1/members?q=%2B27 82 123 4567')).toContain(CENSORED);
  });

  it('masks a token in the query string', () => {
    expect(maskDigits('/api/v1/messaging/webhooks/bulksms?token=s3cret-Value_x&a=1')).toBe(
      `/api/v1/messaging/webhooks/bulksms?token=${CENSORED}&a=1`,
    );
  });
});
