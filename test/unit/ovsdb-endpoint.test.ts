import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseEndpoint } from '../../agent/drivers/ovsdb/endpoint.js';
import { backoffDelay } from '../../agent/drivers/ovsdb/session.js';

describe('parseEndpoint', () => {
  it.each([
    ['unix:/var/run/openvswitch/db.sock', { kind: 'unix', path: '/var/run/openvswitch/db.sock' }],
    ['tcp:127.0.0.1:6640', { kind: 'tcp', host: '127.0.0.1', port: 6640 }],
    ['tcp:ovs.example:6640', { kind: 'tcp', host: 'ovs.example', port: 6640 }],
    ['tcp:[::1]:6640', { kind: 'tcp', host: '::1', port: 6640 }],
  ])('%s', (text, want) => {
    expect(parseEndpoint(text)).toEqual(want);
    expect(formatEndpoint(parseEndpoint(text))).toBe(text);
  });

  it.each(['ssl:1.2.3.4:6640', 'unix:', 'tcp:host', 'tcp:host:0', 'tcp:host:70000', '/var/run/db.sock'])('refuses %s', (text) => {
    expect(() => parseEndpoint(text)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('backoffDelay', () => {
  const b = { initialMs: 50, maxMs: 2000 };
  it('doubles from the initial delay and stops at the cap', () => {
    expect([0, 1, 2, 3, 10, 100].map((a) => backoffDelay(a, b, () => 1))).toEqual([50, 100, 200, 400, 2000, 2000]);
  });
  it('jitters down to half, never above the cap', () => {
    expect(backoffDelay(20, b, () => 0)).toBe(1000);
    for (let i = 0; i < 100; i++) expect(backoffDelay(20, b)).toBeLessThanOrEqual(2000);
  });
});
