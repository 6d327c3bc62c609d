import { EnvConfigError } from '@app/messaging';
import { readOrdersConfig } from './orders-config';

describe('the order service configuration', () => {
  it('listens on 3000 unless PORT says otherwise (an empty PORT counts as unset)', () => {
    expect(readOrdersConfig({})).toEqual({ port: 3000 });
    expect(readOrdersConfig({ PORT: '' })).toEqual({ port: 3000 });
    expect(readOrdersConfig({ PORT: '8080' })).toEqual({ port: 8080 });
  });

  it.each(['0', '70000', '65536', '-1', 'abc', '3000.5', ' 3000'])(
    'refuses PORT=%p in one line naming the variable and the accepted form',
    (value) => {
      const read = () => readOrdersConfig({ PORT: value });

      expect(read).toThrow(EnvConfigError);
      expect(read).toThrow(`PORT=${JSON.stringify(value)} must be an integer from 1 to 65535`);
    },
  );
});
