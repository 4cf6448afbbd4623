import { randomBytes } from 'node:crypto';
import { ConfigError, DEV_MFA_ENCRYPTION_KEY, loadConfig } from './app-config.js';

describe('#19 MFA_ENCRYPTION_KEY in production', () => {
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://eff_app:Xq7-p2Lr9-Vb4s@db/eff',
    REDIS_URL: 'redis://:Hw3-Zt8q-Mn5k@cache:6379',
    JWT_SECRET: 'n3Vq8Zr1KxT5bWm0YpLc7HdJ2sFgA9eUo4RiQ6yBtXkE',
  };
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    return '';
  };

  it('accepts a random key, and no key (JWT_SECRET is then the key material)', () => {
    expect(
      problemsOf({ ...production, MFA_ENCRYPTION_KEY: randomBytes(48).toString('base64') }),
    ).toBe('');
    expect(problemsOf(production)).toBe('');
  });

  it.each([
    ['the development default', DEV_MFA_ENCRYPTION_KEY],
    ['a repeated word', 'totp-key-totp-key-totp-key-totp-key-totp-key'],
    ['too short', 'Ab3$xY9!'],
  ])('refuses %s without echoing it', (_what, key) => {
    const message = problemsOf({ ...production, MFA_ENCRYPTION_KEY: key });
    expect(message).toContain('MFA_ENCRYPTION_KEY');
    expect(message).not.toContain(key);
  });

  it('outside production the development default is used', () => {
    expect(loadConfig({}).MFA_ENCRYPTION_KEY).toBeUndefined();
    expect(loadConfig({}).MFA_ENROLMENT_GRACE_DAYS).toBe(7);
  });
});
