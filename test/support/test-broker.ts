// Test helper: a RabbitMQ vhost of its own for one test file, so that files never see each other's queues.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type ChannelModel, type ConsumeMessage } from 'amqplib';

const run = promisify(execFile);
/** The command that runs rabbitmqctl, split into words: "docker compose exec -T rabbitmq rabbitmqctl" works too. */
const RABBITMQCTL = (process.env.RABBITMQCTL ?? 'rabbitmqctl').trim().split(/\s+/);
const AMQP_HOST = process.env.AMQP_HOST ?? '127.0.0.1';
const AMQP_PORT = process.env.AMQP_PORT ?? '5672';

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const [command, ...prefix] = RABBITMQCTL;
  const { stdout } = await run(command, [...prefix, '-q', ...args], { timeout: 30_000 });
  return stdout;
}

export interface TestVhost {
  name: string;
  url: string;
  /** A plain amqplib connection to the vhost, for looking at queues from outside the library. */
  connect(): Promise<ChannelModel>;
  delete(): Promise<void>;
}

export async function createTestVhost(label: string): Promise<TestVhost> {
  const name = `test-${label}-${randomBytes(4).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  const url = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(name)}`;
  return {
    name,
    url,
    connect: () => amqplib.connect(url),
    delete: async () => {
      await rabbitmqctl('delete_vhost', name);
    },
  };
}

/** Closes, from the broker's side, every connection whose client named itself `connectionName`. */
export async function closeConnectionsNamed(vhost: string, connectionName: string): Promise<number> {
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'vhost', 'client_properties');
  const pids = out
    .split('\n')
    .filter((line) => line.includes(vhost) && line.includes(`"${connectionName}"`))
    .map((line) => line.split('\t')[0]);
  for (const pid of pids) await rabbitmqctl('close_connection', pid, 'closed by test');
  return pids.length;
}

/** Waits for one message on `queue` (polling with basic.get), or fails after `timeoutMs`. */
export async function getOne(connection: ChannelModel, queue: string, timeoutMs = 10_000): Promise<ConsumeMessage> {
  const channel = await connection.createChannel();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const message = await channel.get(queue, { noAck: true });
      if (message) return message as unknown as ConsumeMessage;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`No message on ${queue} within ${timeoutMs} ms`);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Polls `predicate` until it holds, or fails with `what` after `timeoutMs`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** Starts the broker's application (a no-op if it runs) and waits until it accepts AMQP connections again. */
export async function restoreBroker(timeoutMs = 60_000): Promise<void> {
  await rabbitmqctl('start_app');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await amqplib.connect(`amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}`);
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Broker not answering ${timeoutMs} ms after start_app: ${String(error)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
