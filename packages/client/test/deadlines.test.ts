import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Deadlines } from '../src/deadlines.js';

describe('Deadlines: one timer per distinct timeout', () => {
  it('expires armed deadlines in order, each once, and never a disarmed one', async () => {
    const expired: string[] = [];
    const deadlines = new Deadlines<string>((item) => expired.push(item));
    const a = deadlines.arm('a', 20);
    deadlines.arm('b', 20);
    const c = deadlines.arm('c', 5);
    deadlines.arm('d', 40);
    deadlines.disarm(a);
    deadlines.disarm(a);
    await sleep(80);
    expect(expired).toEqual(['c', 'b', 'd']);
    expect(c.live).toBe(false);
  });

  it('keeps a lane at most about twice its live entries, whatever order requests settle in', () => {
    const deadlines = new Deadlines<number>(() => {});
    // One request that is never answered holds the head; 100,000 after it settle.
    const stuck = deadlines.arm(-1, 60_000);
    let longest = 0;
    for (let index = 0; index < 100_000; index += 1) {
      const armed = deadlines.arm(index, 60_000);
      deadlines.disarm(armed);
      longest = Math.max(longest, armed.lane.entries.length - armed.lane.head);
    }
    expect(longest).toBeLessThanOrEqual(2048);
    deadlines.disarm(stuck);
    expect(stuck.lane.entries.length).toBe(0);
    deadlines.clear();
  });

  it('clear() stops every timer: nothing expires after the connection closed', async () => {
    let fired = 0;
    const deadlines = new Deadlines<number>(() => {
      fired += 1;
    });
    for (let index = 0; index < 10; index += 1) deadlines.arm(index, 5 + index);
    deadlines.clear();
    await sleep(40);
    expect(fired).toBe(0);
  });
});
