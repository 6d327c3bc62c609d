// Specs for IsUuidField: which ids pass, which are refused, and the reason a consumer sees.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsUuidField } from './is-uuid-field';

class Probe {
  @IsUuidField()
  id!: string;
}

class ListProbe {
  @IsUuidField({ each: true })
  ids!: string[];
}

async function reasonsFor(id: unknown): Promise<string[]> {
  return reasonsAt((await validateLikeLibrary(Probe, { id })).issues, 'id');
}

describe('IsUuidField', () => {
  it.each([
    ['a version 4 UUID', '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e'],
    ['a version 7 UUID', '01890a5d-ac96-774b-bcce-b302099a8057'],
    ['a version 1 UUID', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'],
    ['an uppercase UUID', '3F2B8C1E-4D5A-4B6C-8D7E-9F0A1B2C3D4E'],
  ])('accepts %s', async (_case, id) => {
    expect(await reasonsFor(id)).toEqual([]);
  });

  it.each([
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['the max UUID', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    ['a UUID without dashes', '3f2b8c1e4d5a4b6c8d7e9f0a1b2c3d4e'],
    ['a UUID in braces', '{3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e}'],
    ['a UUID with an unknown variant', '3f2b8c1e-4d5a-4b6c-cd7e-9f0a1b2c3d4e'],
    ['an empty string', ''],
    ['a number', 42],
    ['a missing value', undefined],
  ])('rejects %s with a reason naming the field', async (_case, id) => {
    expect(await reasonsFor(id)).toEqual([expect.stringMatching(/^id must be a UUID \(version 1-8\)/)]);
  });

  it('says which element is wrong when it checks each element of a list', async () => {
    const { issues } = await validateLikeLibrary(ListProbe, { ids: ['3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e', 'nope'] });

    expect(reasonsAt(issues, 'ids')).toEqual([expect.stringMatching(/^each value in ids must be a UUID/)]);
  });
});
