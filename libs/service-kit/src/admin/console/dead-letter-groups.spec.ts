import type { DeadLetterSummary } from '@app/messaging';
import { groupDeadLetters } from './dead-letter-groups';

function letter(messageId: string, errorType: string, errorMessage: string, first?: string, last?: string): DeadLetterSummary {
  return { messageId, messageType: 'order.created', errorType, errorMessage, firstFailedAt: first, lastFailedAt: last, bytes: 10 };
}

describe('groupDeadLetters', () => {
  it('groups by error type with counts, the first and last failure, and the letters newest first; largest group first', () => {
    const groups = groupDeadLetters([
      letter('a', 'exhausted', 'provider down', '2026-01-01T10:00:00Z', '2026-01-01T10:00:07Z'),
      letter('b', 'permanent', 'refused', '2026-01-01T09:00:00Z', '2026-01-01T09:00:00Z'),
      letter('c', 'exhausted', 'provider down', '2026-01-01T08:00:00Z', '2026-01-01T08:00:05Z'),
      letter('d', 'exhausted', 'timeout', '2026-01-01T11:00:00Z', '2026-01-01T11:00:09Z'),
    ]);

    expect(groups.map((group) => [group.errorType, group.count])).toEqual([
      ['exhausted', 3],
      ['permanent', 1],
    ]);
    expect(groups[0]).toMatchObject({
      firstFailedAt: '2026-01-01T08:00:00Z',
      lastFailedAt: '2026-01-01T11:00:09Z',
      messageTypes: ['order.created'],
      errorMessages: ['provider down', 'timeout'],
    });
    expect(groups[0].letters.map((l) => l.messageId)).toEqual(['d', 'a', 'c']);
  });

  it('masks e-mail addresses in error texts that another producer wrote, and copes with letters without failure times', () => {
    const [group] = groupDeadLetters([letter('a', '(none)', 'could not send to alice@example.com')]);

    expect(group.errorMessages).toEqual(['could not send to a***e@example.com']);
    expect(group.firstFailedAt).toBeUndefined();
    expect(group.lastFailedAt).toBeUndefined();
  });
});
