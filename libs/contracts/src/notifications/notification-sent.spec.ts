// Specs for NotificationSent: a valid event passes whole; each broken field is reported at its path.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { NotificationSent } from './notification-sent';

function validNotificationSent(): Record<string, unknown> {
  return {
    notificationId: '6a1f0c52-2b7e-4c3d-9e8f-0a1b2c3d4e5f',
    orderId: '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
    channel: 'email',
    recipient: 'a***@example.com',
    attempts: 1,
    sentAt: '2026-11-23T10:00:05.120Z',
    providerMessageId: 'msg_01HF3Z8K2Q',
  };
}

describe('NotificationSent', () => {
  it('accepts a valid event and keeps every field', async () => {
    const data = validNotificationSent();

    const { instance, issues } = await validateLikeLibrary(NotificationSent, data, 'reject');

    expect(issues).toEqual([]);
    expect(instance).toBeInstanceOf(NotificationSent);
    expect({ ...instance }).toEqual(data);
  });

  it.each([
    ['notificationId', 'not-a-uuid', /^notificationId must be a UUID/],
    ['orderId', undefined, /^orderId must be a UUID/],
    ['channel', 'fax', /^channel must be one of: email, sms, push$/],
    ['recipient', '', /^recipient must be longer than or equal to 1 characters$/],
    ['recipient', 'x'.repeat(321), /^recipient must be shorter than or equal to 320 characters$/],
    ['attempts', 0, /^attempts must not be less than 1$/],
    ['attempts', 1.5, /^attempts must be an integer number$/],
    ['sentAt', '2026-11-23T10:00:05', /^sentAt must be an ISO-8601 date-time/],
    ['providerMessageId', 'x'.repeat(201), /^providerMessageId must be shorter than or equal to 200 characters$/],
  ])('rejects a bad %s (%p) with a reason at its path', async (field, value, reason) => {
    const { issues } = await validateLikeLibrary(NotificationSent, { ...validNotificationSent(), [field]: value });

    expect(reasonsAt(issues, field)).toContainEqual(expect.stringMatching(reason));
  });
});
