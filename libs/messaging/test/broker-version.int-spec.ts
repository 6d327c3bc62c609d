// Integration: the library reads the version of the broker it connects to, and its semantics follow it (this machine
// runs RabbitMQ 3.10: the older counter semantics, under which the delay plugin is still probed for).
import amqplib from 'amqplib';
import { AmqpConnection } from '../src/connection/amqp-connection';
import { parseBrokerVersion } from '../src/connection/broker-semantics';
import { resolveMessagingOptions } from '../src/options/messaging-options';
import { createTestVhost, type TestVhost } from '../../../test/support/test-broker';

describe('the broker version', () => {
  let vhost: TestVhost;
  let connection: AmqpConnection | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('broker-version');
  });

  afterAll(async () => {
    await connection?.close();
    await vhost?.delete();
  });

  it('is read from the server properties when the connection opens, and decides the semantics', async () => {
    const raw = await amqplib.connect(vhost.url);
    const announced = parseBrokerVersion(raw.connection.serverProperties);
    await raw.close();
    expect(announced).toBeDefined();

    connection = new AmqpConnection(resolveMessagingOptions({ serviceName: 'versions', url: vhost.url }, {}));
    expect(connection.semantics.version).toBeUndefined();
    connection.connect();
    await connection.waitForConnect(10_000);

    expect(connection.semantics.version).toEqual(announced);
    const v43 = announced!.major > 4 || (announced!.major === 4 && announced!.minor >= 3);
    expect(connection.semantics.deliveryCountMeans).toBe(v43 ? 'failed-deliveries' : 'every-return');
  });
});
