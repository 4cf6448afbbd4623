import { AddressAllowList, cidrProblem, DEFAULT_METRICS_ALLOW } from './address-allow-list.js';

describe('AddressAllowList', () => {
  const defaults = new AddressAllowList(DEFAULT_METRICS_ALLOW);

  it('allows loopback and private peers, including IPv4-mapped IPv6', () => {
    for (const peer of [
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.9',
      'fd00::1',
    ]) {
      expect(defaults.allows(peer)).toBe(true);
    }
  });

  it('refuses public peers, garbage and missing addresses', () => {
    for (const peer of [
      '8.8.8.8',
      '172.32.0.1',
      '::ffff:41.0.0.1',
      '2001:db8::1',
      'not-an-ip',
      '',
      undefined,
    ]) {
      expect(defaults.allows(peer)).toBe(false);
    }
  });

  it('refuses everyone when the list is empty, and matches single addresses', () => {
    expect(new AddressAllowList([]).allows('127.0.0.1')).toBe(false);
    const one = new AddressAllowList(['203.0.113.7']);
    expect(one.allows('203.0.113.7')).toBe(true);
    expect(one.allows('203.0.113.8')).toBe(false);
  });

  it('names bad entries', () => {
    expect(cidrProblem('10.0.0.0/8')).toBeNull();
    expect(cidrProblem('::1')).toBeNull();
    expect(cidrProblem('10.0.0.0/33')).toMatch(/prefix/);
    expect(cidrProblem('fc00::/129')).toMatch(/prefix/);
    expect(cidrProblem('localhost')).toMatch(/not an IP/);
    expect(cidrProblem('10.0.0.0/8/1')).toMatch(/not an IP/);
  });
});
