// Which class a nested property is read into, from class-transformer's @Type metadata. class-transformer keeps
// that metadata in a storage its entry point does not export, so it is loaded from its CommonJS build (the same
// module its @Type decorator writes to; class-validator-jsonschema reads it the same way).
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the path has no type declarations of its own
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: MetadataStorage;
};

export type ClassRef = abstract new () => object;

export type NestedType =
  | { kind: 'class'; type: ClassRef }
  | { kind: 'union'; discriminator: string; subTypes: ClassRef[] };

/** The @Type of `owner.property`, or undefined when it has none. */
export function nestedTypeOf(owner: ClassRef, property: string): NestedType | undefined {
  const metadata = defaultMetadataStorage.findTypeMetadata(owner, property);
  if (!metadata) return undefined;
  const discriminator = metadata.options.discriminator;
  if (discriminator) {
    return {
      kind: 'union',
      discriminator: discriminator.property,
      subTypes: discriminator.subTypes.map((subType) => subType.value as ClassRef),
    };
  }
  return { kind: 'class', type: metadata.typeFunction() as ClassRef };
}
