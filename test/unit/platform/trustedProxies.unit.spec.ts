// TRUSTED_PROXIES: whose X-Forwarded-For the api believes. Read once at start, refused at
// start when malformed (naming the variable), so a typo cannot silently trust everyone or no one.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';

const trusted = (value: string) => loadConfig({ TRUSTED_PROXIES: value }).trustedProxies;

describe('TRUSTED_PROXIES', () => {
  it('trusts a proxy on this host by default', () => {
    expect(loadConfig({}).trustedProxies).toEqual(['loopback']);
  });

  it('reads addresses, subnets and range names, a hop count, or none', () => {
    expect(trusted('loopback, 10.0.0.0/8,192.168.1.7, fd00::/8, uniquelocal')).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      'uniquelocal',
    ]);
    expect(trusted('10.0.0.0/255.0.0.0')).toEqual(['10.0.0.0/255.0.0.0']);
    expect(trusted('2')).toBe(2);
    expect(trusted('none')).toEqual([]);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['', 'true', '*', '10.0.0.0/33', '::1/129', 'proxy.internal', '10.0.0/8', '1.2.3.4/8/8', 'loopback,,x'])
      expect(() => trusted(bad), bad).toThrow(/TRUSTED_PROXIES/);
  });
});
