import { parseLsn, replicaLagMs, statementOf } from './read-connection.js';
import { redisTarget } from '../redis/redis.module.js';

describe('parseLsn', () => {
  it('reads the high and low halves as hex', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  });
});

describe('replicaLagMs', () => {
  const samples = [
    { at: 1000, lsn: 100n },
    { at: 2000, lsn: 200n },
    { at: 3000, lsn: 300n },
  ];
  it('is 0 when the replica replayed everything the primary had at the last check', () => {
    expect(replicaLagMs(samples, 300n, 3500)).toBe(0);
    expect(replicaLagMs(samples, 450n, 3500)).toBe(0);
  });
  it('is the age of the oldest primary position not replayed yet', () => {
    expect(replicaLagMs(samples, 150n, 3500)).toBe(1500);
    expect(replicaLagMs(samples, 50n, 3500)).toBe(2500);
  });
});

describe('redisTarget', () => {
  const none = {
    REDIS_SENTINELS: [],
    REDIS_SENTINEL_NAME: undefined,
    REDIS_SENTINEL_PASSWORD: undefined,
  };
  it('is REDIS_URL without Sentinels', () => {
    expect(redisTarget({ ...none, REDIS_URL: 'redis://:pw@cache:6379/2' })).toBe(
      'redis://:pw@cache:6379/2',
    );
  });
  it('asks the Sentinels for the master, keeping the password and db of REDIS_URL', () => {
    const target = redisTarget({
      REDIS_URL: 'redis://:s%40cret@ignored:6379/3',
      REDIS_SENTINELS: ['sentinel-1:26379', '10.0.0.5:26380'],
      REDIS_SENTINEL_NAME: 'effmaster',
      REDIS_SENTINEL_PASSWORD: undefined,
    });
    expect(target).toMatchObject({
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.5', port: 26380 },
      ],
      name: 'effmaster',
      password: 's@cret',
      db: 3,
    });
  });
});

describe('statementOf', () => {
  const byId = 'SELECT id FROM members WHERE id = $1';
  it('names a prepared statement after its text: the same text, the same name; another text, another', () => {
    const first = statementOf(byId, ['a'], true);
    expect(first).toEqual({
      name: expect.stringMatching(/^eff_[\w-]{24}$/),
      text: byId,
      values: ['a'],
    });
    expect(statementOf(byId, ['b'], true).name).toBe(first.name);
    expect(statementOf(`${byId} LIMIT 1`, ['a'], true).name).not.toBe(first.name);
  });
  it('leaves other statements unnamed (parsed each time)', () => {
    expect(statementOf(byId, ['a'], false)).toEqual({ text: byId, values: ['a'] });
  });
});
