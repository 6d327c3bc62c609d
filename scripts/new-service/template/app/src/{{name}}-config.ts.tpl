// What the {{name}} service itself reads from its environment, parsed and checked when the application starts (the
// libraries check their own variables). Injected as `@Inject({{nameCamel}}Config.KEY) config: {{Name}}Config`.
import { registerAs, type ConfigType } from '@nestjs/config';
import { envPort, type Env } from '@app/messaging';
import { SERVICE_NAME } from './service-name';

export function read{{Name}}Config(env: Env = process.env) {
  return {
    /** HTTP port: PORT, default {{port}}. */
    port: envPort(env, 'PORT') ?? {{port}},
  };
}

export const {{nameCamel}}Config = registerAs(SERVICE_NAME, () => read{{Name}}Config());
export type {{Name}}Config = ConfigType<typeof {{nameCamel}}Config>;
