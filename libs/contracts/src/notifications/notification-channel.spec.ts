// Specs for the NotificationChannel union: each kind is read into its own class and checked by its own rules;
// an unknown or missing kind fails.
import { plainToInstance, Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import {
  EmailChannel,
  NOTIFICATION_CHANNEL_KINDS,
  NOTIFICATION_CHANNEL_TYPE_OPTIONS,
  NotificationChannelBase,
  PushChannel,
  SmsChannel,
  type NotificationChannel,
} from './notification-channel';

// The union only means something inside a message; this holder mirrors how OrderCreated declares it.
class Holder {
  @IsObject()
  @ValidateNested()
  @Type(() => NotificationChannelBase, NOTIFICATION_CHANNEL_TYPE_OPTIONS)
  channel!: NotificationChannel;
}

const VALID: Record<(typeof NOTIFICATION_CHANNEL_KINDS)[number], object> = {
  email: { kind: 'email', address: 'ada@example.com' },
  sms: { kind: 'sms', phoneNumber: '+4915112345678' },
  push: { kind: 'push', deviceToken: 'a1b2c3d4e5f6', callbackUrl: 'https://example.com/push-receipts' },
};

async function issuesFor(channel: unknown, unknownFields: 'strip' | 'reject' = 'strip') {
  return (await validateLikeLibrary(Holder, { channel }, unknownFields)).issues;
}

describe('NotificationChannel', () => {
  it.each([
    ['email', EmailChannel],
    ['sms', SmsChannel],
    ['push', PushChannel],
  ] as const)('reads kind "%s" into its own class, keeping the kind', (kind, expected) => {
    const holder = plainToInstance(Holder, { channel: VALID[kind] });

    expect(holder.channel).toBeInstanceOf(expected);
    expect(holder.channel.kind).toBe(kind);
  });

  it.each(NOTIFICATION_CHANNEL_KINDS)('accepts a valid %s channel', async (kind) => {
    expect(await issuesFor(VALID[kind], 'reject')).toEqual([]);
  });

  it('fails an unknown kind with a reason naming the known kinds', async () => {
    const issues = await issuesFor({ kind: 'fax', number: '+4930123456' });

    expect(reasonsAt(issues, 'channel.kind')).toEqual(['kind must name a known notification channel: email, sms, push']);
  });

  it('fails a channel without a kind', async () => {
    const issues = await issuesFor({ address: 'ada@example.com' });

    expect(reasonsAt(issues, 'channel.kind')).toEqual(['kind must name a known notification channel: email, sms, push']);
  });

  it('checks the fields of the kind it names, not of another kind', async () => {
    const issues = await issuesFor({ kind: 'email', phoneNumber: '+4915112345678' });

    expect(reasonsAt(issues, 'channel.address')).toEqual(['address must be an email address']);
  });

  it.each([
    ['a local number', '015112345678'],
    ['a leading zero after +', '+04915112345678'],
    ['too few digits', '+123456'],
    ['too many digits', '+1234567890123456'],
    ['spaces', '+49 151 12345678'],
  ])('rejects an SMS number with %s', async (_case, phoneNumber) => {
    const issues = await issuesFor({ kind: 'sms', phoneNumber });

    expect(reasonsAt(issues, 'channel.phoneNumber')).toEqual(['phoneNumber must be an E.164 phone number, like "+4915112345678"']);
  });

  it('accepts a push channel without callback URL', async () => {
    expect(await issuesFor({ kind: 'push', deviceToken: 'a1b2c3d4e5f6' })).toEqual([]);
  });

  it.each([
    ['null', null],
    ['an ftp URL', 'ftp://example.com/receipts'],
  ])('rejects a push callback URL that is %s', async (_case, callbackUrl) => {
    const issues = await issuesFor({ kind: 'push', deviceToken: 'a1b2c3d4e5f6', callbackUrl });

    expect(reasonsAt(issues, 'channel.callbackUrl')).toHaveLength(1);
  });

  it.each([
    ['shorter than 8 characters', 'a1b2c3d'],
    ['longer than 4096 characters', 'x'.repeat(4097)],
  ])('rejects a device token %s', async (_case, deviceToken) => {
    const issues = await issuesFor({ kind: 'push', deviceToken });

    expect(reasonsAt(issues, 'channel.deviceToken')).toHaveLength(1);
  });
});
