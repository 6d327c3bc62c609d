// class-transformer's metadata (@Type, @Transform, @Expose, @Exclude). Its entry point does not export the storage,
// so it is loaded from the CommonJS build, the same module its decorators write to.
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the path has no type declarations of its own
export const classTransformerMetadata = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage })
  .defaultMetadataStorage;
