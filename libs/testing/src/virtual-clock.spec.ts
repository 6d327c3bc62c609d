import { VirtualClock } from './virtual-clock';

describe('VirtualClock', () => {
  it('runs timers only when moved past them, in the order they fall due', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    clock.schedule(2000, () => ran.push('b'));
    clock.schedule(1000, () => ran.push('a'));
    clock.schedule(2000, () => ran.push('c'));
    expect(clock.moveTo(999)).toBe(0);
    expect(clock.nextDue()).toBe(1000);
    expect(clock.moveTo(2000)).toBe(3);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(clock.now).toBe(2000);
    expect(clock.pending).toBe(0);
  });

  it('never moves back', () => {
    const clock = new VirtualClock();
    clock.moveTo(500);
    clock.moveTo(100);
    expect(clock.now).toBe(500);
  });
});
