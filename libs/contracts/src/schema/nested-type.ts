// Which class a nested property is read into, from class-transformer's @Type metadata.
import { classTransformerMetadata as defaultMetadataStorage } from '@app/messaging-core';

export type ClassRef = abstract new () => object;

export type NestedType = { kind: 'class'; type: ClassRef } | { kind: 'union'; discriminator: string; subTypes: ClassRef[] };

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
