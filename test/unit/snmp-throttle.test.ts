import { describe, expect, it } from 'vitest';
import { throttled } from '../../agent/snmp/throttle.js';

describe('throttled warnings', () => {
  it('logs the first at once, then at most once per interval with the suppressed count', () => {
    let t = 0;
    const logged: number[] = [];
    const warn = throttled(1000, (n) => logged.push(n), () => t);
    warn();
    warn();
    warn();
    t = 999;
    warn();
    t = 1000;
    warn();
    expect(logged).toEqual([0, 3]);
  });
});
