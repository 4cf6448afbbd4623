import { ConfigError, loadConfig } from './app-config.js';

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
      JWT_SECRET: 'x'.repeat(40),
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
