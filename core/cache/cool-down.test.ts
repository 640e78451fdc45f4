import { describe, expect, it } from 'vitest';
import { CoolDown } from './cool-down.ts';

describe('CoolDown', () => {
  it('is inactive until tripped, active for its duration, then inactive again', () => {
    let now = 1_000;
    const coolDown = new CoolDown(500, () => now);
    expect(coolDown.active).toBe(false);
    coolDown.trip();
    now += 499;
    expect(coolDown.active).toBe(true);
    now += 1;
    expect(coolDown.active).toBe(false);
  });

  it('restarts the window on every trip', () => {
    let now = 0;
    const coolDown = new CoolDown(100, () => now);
    coolDown.trip();
    now = 90;
    coolDown.trip();
    now = 150;
    expect(coolDown.active).toBe(true);
  });
});
