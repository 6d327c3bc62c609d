// The ways a notification can reach a customer: a union discriminated by `kind`. class-transformer picks the
// subclass from `kind`; for a kind it does not know it falls back to the base class, whose check then fails it.
import type { TypeOptions } from 'class-transformer';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { IsEmailAddress } from '../types/is-email-address';
import { IsHttpUrl } from '../types/is-http-url';
import { IsOmittable } from '../types/is-omittable';
import { Sensitive } from '@app/messaging-core';

export const NOTIFICATION_CHANNEL_KINDS = ['email', 'sms', 'push'] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];

/**
 * What every channel has. Never valid on its own: a message whose `kind` is unknown or missing is read into this
 * class (class-transformer's fallback), and the check on `kind` rejects it with a reason instead of passing it on.
 */
export abstract class NotificationChannelBase {
  @IsIn(NOTIFICATION_CHANNEL_KINDS, {
    message: `$property must name a known notification channel: ${NOTIFICATION_CHANNEL_KINDS.join(', ')}`,
  })
  kind!: NotificationChannelKind;
}

export class EmailChannel extends NotificationChannelBase {
  @IsIn(['email'])
  override kind = 'email' as const;

  @IsEmailAddress()
  @Sensitive()
  address!: string;
}

export class SmsChannel extends NotificationChannelBase {
  @IsIn(['sms'])
  override kind = 'sms' as const;

  @Matches(/^\+[1-9]\d{6,14}$/, { message: '$property must be an E.164 phone number, like "+4915112345678"' })
  @Sensitive()
  phoneNumber!: string;
}

export class PushChannel extends NotificationChannelBase {
  @IsIn(['push'])
  override kind = 'push' as const;

  @IsString()
  @Length(8, 4096)
  @Sensitive()
  deviceToken!: string;

  /** Where the push provider reports delivery; left out when nobody needs the report. */
  @IsOmittable()
  @IsHttpUrl()
  callbackUrl?: string;
}

export type NotificationChannel = EmailChannel | SmsChannel | PushChannel;

// Typed by kind so that adding a kind without its class (or the reverse) does not compile.
const CHANNEL_CLASSES: { [K in NotificationChannelKind]: new () => Extract<NotificationChannel, { kind: K }> } = {
  email: EmailChannel,
  sms: SmsChannel,
  push: PushChannel,
};

/** The @Type options for a NotificationChannel property: `@Type(() => NotificationChannelBase, these)`. */
export const NOTIFICATION_CHANNEL_TYPE_OPTIONS: TypeOptions = {
  discriminator: {
    property: 'kind',
    subTypes: NOTIFICATION_CHANNEL_KINDS.map((kind) => ({ name: kind, value: CHANNEL_CLASSES[kind] })),
  },
  // Without this class-transformer deletes `kind`, and every channel would then fail its own kind check.
  keepDiscriminatorProperty: true,
};
