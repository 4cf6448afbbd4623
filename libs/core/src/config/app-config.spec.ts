import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './app-config.js';
import { estimatedEntropyBits } from './secret-strength.js';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(5000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TRUST_PROXY).toEqual(['loopback']);
  });

  it('parses numbers, booleans and lists', () => {
    const config = loadConfig({
      PORT: '8080',
      SWAGGER_ENABLED: 'false',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.PORT).toBe(8080);
    expect(config.SWAGGER_ENABLED).toBe(false);
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });

  it('names every bad variable', () => {
    try {
      loadConfig({ PORT: '99999', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('PORT');
      expect(message).toContain('DATABASE_URL');
      expect(message).toContain('LOG_LEVEL');
    }
  });

  it('in production, wants ADMIN_PASSWORD with ADMIN_EMAIL rather than print a generated one', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/eff',
      REDIS_URL: 'redis://cache',
      JWT_SECRET: 'n3Vq8Zr1KxT5bWm0YpLc7HdJ2sFgA9eUo4RiQ6yBtXkE',
    };
    expect(() => loadConfig({ ...production, ADMIN_EMAIL: 'chief@example.org' })).toThrow(
      /ADMIN_PASSWORD: required with ADMIN_EMAIL/,
    );
    expect(
      loadConfig({
        ...production,
        ADMIN_EMAIL: 'chief@example.org',
        ADMIN_PASSWORD: 'Head-Office-Strong-2026!',
      }).ADMIN_EMAIL,
    ).toBe('chief@example.org');
    expect(loadConfig({ ADMIN_EMAIL: 'chief@example.org' }).ADMIN_PASSWORD).toBeUndefined();
  });
});

describe('#15.12 configuration and leakage: secrets and Swagger in production', () => {
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

  it('accepts real secrets', () => {
    expect(problemsOf(production)).toBe('');
    expect(problemsOf({ ...production, JWT_SECRET: randomBytes(32).toString('hex') })).toBe('');
    expect(problemsOf({ ...production, JWT_SECRET: randomBytes(32).toString('base64') })).toBe('');
    expect(problemsOf({ ...production, JWT_SECRET: randomBytes(48).toString('base64url') })).toBe(
      '',
    );
  });

  it.each([
    ['JWT_SECRET', { JWT_SECRET: 'change-me-to-at-least-32-random-characters' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://eff_app:change-me-app-password@db/eff' }],
    ['REDIS_URL', { REDIS_URL: 'redis://:CHANGE-ME-redis-password@cache:6379' }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'chief@example.org', ADMIN_PASSWORD: 'change-me-admin-1' }],
  ])('refuses env.example placeholders in %s, naming it without echoing it', (name, env) => {
    const message = problemsOf({ ...production, ...env });
    expect(message).toContain(`${name}: still holds a "change-me" placeholder`);
    for (const value of Object.values(env)) expect(message).not.toContain(value);
    // Outside production the same values are accepted (local tries of the compose file).
    expect(problemsOf({ ...production, ...env, NODE_ENV: 'development' })).toBe('');
  });

  it.each([
    ['one character repeated', 'x'.repeat(64)],
    ['a word repeated', 'test-secret-test-secret-test-secret-0123456789'],
    ['a short pattern repeated', 'Ab1!Ab1!'.repeat(8)],
    ['16 random bytes', randomBytes(16).toString('hex')],
    ['a low-diversity string', `${'a'.repeat(50)}bcdefgh`],
  ])('refuses a JWT_SECRET under 32 bytes of entropy (%s), without echoing it', (_what, secret) => {
    const message = problemsOf({ ...production, JWT_SECRET: secret });
    expect(message).toContain('JWT_SECRET: too guessable for production');
    expect(message).not.toContain(secret);
    expect(problemsOf({ ...production, JWT_SECRET: secret, NODE_ENV: 'test' })).toBe('');
  });

  it('serves Swagger by default except in production, where only an explicit setting enables it', () => {
    expect(loadConfig({}).SWAGGER_ENABLED).toBe(true);
    expect(loadConfig(production).SWAGGER_ENABLED).toBe(false);
    expect(loadConfig({ ...production, SWAGGER_ENABLED: 'true' }).SWAGGER_ENABLED).toBe(true);
    expect(loadConfig({ SWAGGER_ENABLED: 'false' }).SWAGGER_ENABLED).toBe(false);
  });
});

describe('estimatedEntropyBits', () => {
  it('counts random hex at 4 bits and base64 at about 6 bits a character', () => {
    expect(estimatedEntropyBits(randomBytes(32).toString('hex'))).toBeGreaterThanOrEqual(256);
    expect(estimatedEntropyBits(randomBytes(31).toString('hex'))).toBeLessThan(256);
    expect(estimatedEntropyBits('abcabcabc')).toBeLessThan(16);
    expect(estimatedEntropyBits('')).toBe(0);
  });
});
