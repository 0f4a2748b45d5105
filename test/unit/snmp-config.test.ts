// Address forms the SNMP config accepts (DESIGN §4): listen, AgentX master, trap targets.

import { describe, expect, it } from 'vitest';
import { parseAgentXAddress } from '../../agent/snmp/agentx.js';
import { parseTrapTarget } from '../../agent/snmp/notifier.js';
import { engineIdFor, parseListen } from '../../agent/snmp/udp-agent.js';

describe('SNMP addresses', () => {
  it.each([
    ['udp:127.0.0.1:16100', { host: '127.0.0.1', port: 16100 }],
    ['127.0.0.1:161', { host: '127.0.0.1', port: 161 }],
    ['udp6:[::1]:16100', { host: '::1', port: 16100 }],
  ])('listen %s', (spec, want) => expect(parseListen(spec)).toEqual(want));

  it.each(['udp:127.0.0.1', 'tcp:127.0.0.1:161x', 'udp:127.0.0.1:70000', ''])('listen %s is refused', (spec) => {
    expect(() => parseListen(spec)).toThrow(RangeError);
  });

  it.each([
    ['tcp:127.0.0.1:705', { host: '127.0.0.1', port: 705 }],
    ['unix:/var/agentx/master', { path: '/var/agentx/master' }],
    ['/var/agentx/master', { path: '/var/agentx/master' }],
    ['127.0.0.1:1705', { host: '127.0.0.1', port: 1705 }],
  ])('agentx %s', (spec, want) => expect(parseAgentXAddress(spec)).toEqual(want));

  it('agentx nonsense is refused', () => expect(() => parseAgentXAddress('udp:x')).toThrow(RangeError));

  it.each([
    ['udp:192.0.2.5:16200', { host: '192.0.2.5', port: 16200 }],
    ['udp:192.0.2.5', { host: '192.0.2.5', port: 162 }],
    ['[2001:db8::1]:1162', { host: '2001:db8::1', port: 1162 }],
  ])('trap target %s', (spec, want) => expect(parseTrapTarget(spec)).toEqual(want));

  it('engine ids are RFC 3411 format 5 and stable per switch', () => {
    const a = engineIdFor('leaf1');
    expect(a.subarray(0, 5).toString('hex')).toBe('80001f8805');
    expect(a).toHaveLength(17);
    expect(engineIdFor('leaf1').equals(a)).toBe(true);
    expect(engineIdFor('leaf2').equals(a)).toBe(false);
  });
});
