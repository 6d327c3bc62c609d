// Specs for IsEmailAddress: class-validator's isEmail, never throwing, and without the characters that make one
// address read as another.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsEmailAddress, isEmailAddress } from './is-email-address';

class Contact {
  @IsEmailAddress()
  email!: string;
}

async function reasonsFor(email: unknown): Promise<string[]> {
  return reasonsAt((await validateLikeLibrary(Contact, { email })).issues, 'email');
}

describe('IsEmailAddress', () => {
  it.each(['ada@example.com', 'ada.lovelace+orders@mail.example.co.uk', 'zoë@example.com', `${'a'.repeat(64)}@${'b'.repeat(63)}.com`])(
    'accepts %p',
    async (email) => {
      expect(await reasonsFor(email)).toEqual([]);
    },
  );

  it.each([
    ['an unpaired surrogate (on which isEmail throws a URIError)', 'a\ud800@example.com'],
    ['an unpaired surrogate in the domain', 'ada@ex\udc00ample.com'],
    ['a right-to-left override', 'a\u202eb@example.com'],
    ['a left-to-right isolate', 'ada@\u2066example.com'],
    ['a zero-width space', 'a\u200bb@example.com'],
    ['a zero-width joiner in the domain', 'ada@exa\u200dmple.com'],
    ['a byte order mark', '\ufeffada@example.com'],
    ['a NUL', 'ada\u0000@example.com'],
    ['a line separator', 'ada@example.com\u2028'],
    ['more than 254 characters', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`],
    ['no @', 'ada.example.com'],
    ['a number', 42],
  ])('refuses %s with the reason, never throwing', async (_case, email) => {
    expect(() => isEmailAddress(email)).not.toThrow();
    expect(isEmailAddress(email)).toBe(false);
    expect(await reasonsFor(email)).toEqual(['email must be an email address']);
  });
});
