// Specs for IsOmittable: an absent field is skipped, a null or present one is still checked.
import { IsString } from 'class-validator';
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsOmittable } from './is-omittable';

class Probe {
  @IsOmittable()
  @IsString()
  note?: string;
}

describe('IsOmittable', () => {
  it('skips the other checks when the field is absent', async () => {
    expect((await validateLikeLibrary(Probe, {})).issues).toEqual([]);
  });

  it('still checks a null value, so null never reaches a handler typed string | undefined', async () => {
    const { issues } = await validateLikeLibrary(Probe, { note: null });

    expect(reasonsAt(issues, 'note')).toEqual(['note must be a string']);
  });

  it('still checks a present value', async () => {
    const { issues } = await validateLikeLibrary(Probe, { note: 7 });

    expect(reasonsAt(issues, 'note')).toEqual(['note must be a string']);
  });
});
