// The dead letters of a queue grouped by error type, as the admin console lists them: counts, first and last failure,
// the distinct error messages, and each letter (newest failure first).
import { maskEmails, type DeadLetterSummary } from '@app/messaging';

export interface DeadLetterGroupView {
  errorType: string;
  count: number;
  /** Earliest x-first-failed-at of the group (ISO 8601), when any letter has one. */
  firstFailedAt?: string;
  /** Latest x-last-failed-at of the group. */
  lastFailedAt?: string;
  messageTypes: string[];
  /** Distinct error messages, most frequent first, at most MAX_ERROR_MESSAGES. */
  errorMessages: string[];
  letters: DeadLetterSummary[];
}

const MAX_ERROR_MESSAGES = 3;

export function groupDeadLetters(letters: readonly DeadLetterSummary[]): DeadLetterGroupView[] {
  const groups = new Map<string, DeadLetterSummary[]>();
  for (const letter of letters) {
    // Error texts are masked when the library writes them; a dead letter another producer made may hold anything.
    const masked = { ...letter, errorMessage: maskEmails(letter.errorMessage) };
    groups.set(masked.errorType, [...(groups.get(masked.errorType) ?? []), masked]);
  }
  return [...groups.entries()]
    .map(([errorType, members]) => ({
      errorType,
      count: members.length,
      firstFailedAt: earliest(members.map((letter) => letter.firstFailedAt ?? letter.lastFailedAt)),
      lastFailedAt: latest(members.map((letter) => letter.lastFailedAt ?? letter.firstFailedAt)),
      messageTypes: [...new Set(members.map((letter) => letter.messageType))].sort(),
      errorMessages: mostFrequent(members.map((letter) => letter.errorMessage)).slice(0, MAX_ERROR_MESSAGES),
      letters: [...members].sort((a, b) => timeOf(b.lastFailedAt) - timeOf(a.lastFailedAt)),
    }))
    .sort((a, b) => b.count - a.count || a.errorType.localeCompare(b.errorType));
}

function timeOf(iso: string | undefined): number {
  const time = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(time) ? 0 : time;
}

function earliest(times: Array<string | undefined>): string | undefined {
  const known = times.filter((time): time is string => time !== undefined && !Number.isNaN(Date.parse(time)));
  return known.length === 0 ? undefined : known.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
}

function latest(times: Array<string | undefined>): string | undefined {
  const known = times.filter((time): time is string => time !== undefined && !Number.isNaN(Date.parse(time)));
  return known.length === 0 ? undefined : known.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

function mostFrequent(texts: string[]): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) counts.set(text, (counts.get(text) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([text]) => text);
}
