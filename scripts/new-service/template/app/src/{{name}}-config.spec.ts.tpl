// The {{name}} service's own configuration: its defaults, and a bad value refused in one line naming the variable.
import { EnvConfigError } from '@app/messaging';
import { read{{Name}}Config } from './{{name}}-config';

describe('the {{name}} service configuration', () => {
  it('listens on {{port}} unless PORT says otherwise (an empty PORT counts as unset)', () => {
    expect(read{{Name}}Config({})).toEqual({ port: {{port}} });
    expect(read{{Name}}Config({ PORT: '' })).toEqual({ port: {{port}} });
    expect(read{{Name}}Config({ PORT: '8080' })).toEqual({ port: 8080 });
  });

  it.each(['0', '65536', 'abc', '{{port}}.5'])('refuses PORT=%p in one line naming the variable and the accepted form', (value) => {
    const read = () => read{{Name}}Config({ PORT: value });

    expect(read).toThrow(EnvConfigError);
    expect(read).toThrow(`PORT=${JSON.stringify(value)} must be an integer from 1 to 65535`);
  });
});
