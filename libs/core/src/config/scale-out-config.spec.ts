import { loadConfig } from './app-config.js';

describe('loadConfig: read replicas and Redis Sentinel', () => {
  it('reads the replica list and the Sentinel settings', () => {
    const config = loadConfig({
      DATABASE_REPLICA_URLS: 'postgres://r1:5432/db, postgres://r2:5432/db',
      REDIS_URL: 'redis://:pw@master/0',
      REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379',
      REDIS_SENTINEL_NAME: 'effmaster',
    });
    expect(config.DATABASE_REPLICA_URLS).toEqual([
      'postgres://r1:5432/db',
      'postgres://r2:5432/db',
    ]);
    expect(config.REDIS_SENTINELS).toEqual(['sentinel-1:26379', 'sentinel-2:26379']);
    expect(loadConfig({}).DATABASE_REPLICA_URLS).toEqual([]);
  });

  it('refuses a replica URL that is not postgres://, and Sentinels without a master name or REDIS_URL', () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'mysql://r1/db' })).toThrow(
      /DATABASE_REPLICA_URLS/,
    );
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://x', REDIS_SENTINELS: 'sentinel-1:26379' }),
    ).toThrow(/REDIS_SENTINEL_NAME: required/);
    expect(() =>
      loadConfig({ REDIS_SENTINELS: 'sentinel-1:26379', REDIS_SENTINEL_NAME: 'm' }),
    ).toThrow(/REDIS_URL: required with REDIS_SENTINELS/);
    expect(() => loadConfig({ REDIS_SENTINELS: 'sentinel-1', REDIS_SENTINEL_NAME: 'm' })).toThrow(
      /host:port/,
    );
  });

  it('refuses a read-your-writes window a replica in rotation could outlast', () => {
    const replicas = {
      DATABASE_REPLICA_URLS: 'postgres://r1:5432/db',
      DATABASE_REPLICA_MAX_LAG_MS: '5000',
      DATABASE_REPLICA_CHECK_INTERVAL_MS: '1000',
    };
    expect(() => loadConfig({ ...replicas, DATABASE_READ_YOUR_WRITES_MS: '5500' })).toThrow(
      /DATABASE_READ_YOUR_WRITES_MS/,
    );
    // Lag is sampled once per check (reads up to one interval short) and the replica serves until the next
    // check: a replica in rotation may be max lag + two intervals behind.
    expect(() => loadConfig({ ...replicas, DATABASE_READ_YOUR_WRITES_MS: '6500' })).toThrow(
      /DATABASE_READ_YOUR_WRITES_MS/,
    );
    expect(loadConfig({ ...replicas, DATABASE_READ_YOUR_WRITES_MS: '7001' })).toMatchObject({
      DATABASE_READ_YOUR_WRITES_MS: 7001,
    });
  });
});
