// An ISO-8601 date-time string that states its offset ("Z" or "+hh:mm"), checked against the real calendar.
// A time without an offset is refused: each service would read it in its own zone.
import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

export const IS_ISO_DATE_TIME_WITH_OFFSET = 'isIsoDateTimeWithOffset';

// Seconds are required and the separators fixed, as in RFC 3339 and Date.prototype.toISOString().
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

export function isIsoDateTimeWithOffset(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const offsetHours = match[7] === undefined ? 0 : Number(match[7]);
  const offsetMinutes = match[8] === undefined ? 0 : Number(match[8]);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    // A leap second (":60") is refused: JavaScript dates cannot hold it, so no consumer could read it back.
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one; UTC avoids any local-zone shift.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function IsIsoDateTimeWithOffset(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_ISO_DATE_TIME_WITH_OFFSET,
      validator: {
        validate: (value: unknown) => isIsoDateTimeWithOffset(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be an ISO-8601 date-time with seconds and an offset, ` +
            'like "2026-11-23T10:00:00Z" or "2026-11-23T11:00:00+01:00"',
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}
