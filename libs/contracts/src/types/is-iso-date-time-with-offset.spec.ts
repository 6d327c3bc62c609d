// Specs for IsIsoDateTimeWithOffset: date-times with an offset pass; local times, bare dates and impossible
// calendar values are refused with a reason.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsIsoDateTimeWithOffset, isIsoDateTimeWithOffset } from './is-iso-date-time-with-offset';

class Probe {
  @IsIsoDateTimeWithOffset()
  at!: string;
}

async function reasonsFor(at: unknown): Promise<string[]> {
  return reasonsAt((await validateLikeLibrary(Probe, { at })).issues, 'at');
}

describe('IsIsoDateTimeWithOffset', () => {
  it.each([
    ['UTC written as Z', '2026-11-23T10:00:00Z'],
    ['milliseconds', '2026-11-23T10:00:00.123Z'],
    ['nanoseconds', '2026-11-23T10:00:00.123456789Z'],
    ['a positive offset', '2026-11-23T11:00:00+01:00'],
    ['a negative half-hour offset', '2026-11-23T05:30:00-04:30'],
    ['a zero offset', '2026-11-23T10:00:00+00:00'],
    ['the leap day of a leap year', '2024-02-29T00:00:00Z'],
    ['the last second of a day', '2026-12-31T23:59:59Z'],
  ])('accepts %s', async (_case, at) => {
    expect(await reasonsFor(at)).toEqual([]);
  });

  it('accepts what Date.prototype.toISOString() produces', async () => {
    expect(await reasonsFor(new Date().toISOString())).toEqual([]);
  });

  it.each([
    ['a local time without offset', '2026-11-23T10:00:00'],
    ['a date without time', '2026-11-23'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 0', '2026-00-10T00:00:00Z'],
    ['February 29 of a common year', '2026-02-29T00:00:00Z'],
    ['April 31', '2026-04-31T00:00:00Z'],
    ['hour 24', '2026-11-23T24:00:00Z'],
    ['minute 60', '2026-11-23T10:60:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['a time without seconds', '2026-11-23T10:00Z'],
    ['a space instead of T', '2026-11-23 10:00:00Z'],
    ['lowercase t and z', '2026-11-23t10:00:00z'],
    ['an offset without colon', '2026-11-23T10:00:00+0100'],
    ['an offset of 24 hours', '2026-11-23T10:00:00+24:00'],
    ['a named zone', '2026-11-23T10:00:00 Europe/Berlin'],
    ['epoch milliseconds', 1795428000000],
    ['a Date object', new Date('2026-11-23T10:00:00Z')],
  ])('rejects %s with a reason naming the field', async (_case, at) => {
    expect(await reasonsFor(at)).toEqual([expect.stringMatching(/^at must be an ISO-8601 date-time with seconds and an offset/)]);
  });

  it('offers the same check as a plain function', () => {
    expect(isIsoDateTimeWithOffset('2026-11-23T10:00:00Z')).toBe(true);
    expect(isIsoDateTimeWithOffset('2026-11-23T10:00:00')).toBe(false);
  });
});
