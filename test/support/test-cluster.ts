// Test helper: a RabbitMQ cluster of three nodes of its own (scripts/cluster.sh), on free loopback ports, beside the
// machine's broker and never touching it. A fault spec or the chaos suite stops and starts its nodes; it is always
// stopped and removed afterwards (afterAll, and at process exit whatever happened). Needs root and the installed
// RabbitMQ (RABBIT_BIN, default /usr/lib/rabbitmq/bin).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import amqplib, { type ChannelModel } from 'amqplib';
import { freePort } from './service-process';

const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '../../scripts/cluster.sh');
const RABBIT_BIN = process.env.RABBIT_BIN ?? '/usr/lib/rabbitmq/bin';

export type NodeIndex = 1 | 2 | 3;
export const NODES: readonly NodeIndex[] = [1, 2, 3];

export interface ClusterVhost {
  name: string;
  /** One URL per node, in node order. */
  urls: string[];
  /** The nodes' URLs separated by commas: what AMQP_URL takes. */
  amqpUrl: string;
  /** A plain amqplib connection to the first running node. */
  connect(): Promise<ChannelModel>;
  delete(): Promise<void>;
}

export class TestCluster {
  private removed = false;
  private readonly removeAtExit = (): void => this.removeNow();

  private constructor(
    readonly name: string,
    /** AMQP port of node 1, 2, 3. */
    readonly ports: readonly number[],
  ) {
    process.once('exit', this.removeAtExit);
  }

  /** Starts three nodes and joins them (about 10-20 s); removes whatever it started if that fails. */
  static async start(options: { plugins?: string[] } = {}): Promise<TestCluster> {
    if (process.getuid?.() !== 0) throw new Error('A test cluster needs root: its nodes run as the rabbitmq user');
    const name = `t${randomBytes(4).toString('hex')}`;
    const ports = await distinctFreePorts(6);
    const cluster = new TestCluster(name, ports.slice(0, 3));
    const args = ['start', '--name', name, '--ports', ports.slice(0, 3).join(','), '--dist-ports', ports.slice(3).join(',')];
    if (options.plugins?.length) args.push('--plugins', options.plugins.join(','));
    try {
      await cluster.script(args, 240_000);
    } catch (error) {
      cluster.removed = true;
      process.removeListener('exit', cluster.removeAtExit);
      throw error;
    }
    return cluster;
  }

  /** A cluster for the test file: started in beforeAll, removed in afterAll. Call it at the top level of the file. */
  static forTestFile(options: { plugins?: string[] } = {}): { readonly cluster: TestCluster } {
    const holder: { cluster?: TestCluster } = {};
    beforeAll(async () => {
      holder.cluster = await TestCluster.start(options);
    }, 300_000);
    afterAll(async () => {
      await holder.cluster?.remove();
    }, 120_000);
    return {
      get cluster(): TestCluster {
        if (!holder.cluster) throw new Error('The test cluster is started in beforeAll');
        return holder.cluster;
      },
    };
  }

  nodeName(index: NodeIndex): string {
    return `rabbit-${this.name}-${index}@localhost`;
  }

  url(index: NodeIndex, vhost = '/'): string {
    return `amqp://guest:guest@127.0.0.1:${this.ports[index - 1]}/${encodeURIComponent(vhost)}`;
  }

  /** A vhost of its own on the cluster (the nodes share it), with guest's permissions. */
  async createVhost(label: string): Promise<ClusterVhost> {
    const name = `${label}-${randomBytes(3).toString('hex')}`;
    await this.ctlAny(['add_vhost', name]);
    await this.ctlAny(['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
    const urls = NODES.map((index) => this.url(index, name));
    return {
      name,
      urls,
      amqpUrl: urls.join(','),
      connect: () => connectAny(urls),
      delete: async () => {
        await this.ctlAny(['delete_vhost', name]);
      },
    };
  }

  /** Stops a node (rabbitmqctl stop: its clients are disconnected, its queue leaders move), keeping its data. */
  async stopNode(index: NodeIndex): Promise<void> {
    await this.script(['stop-node', String(index), '--name', this.name], 120_000);
  }

  /** Starts a stopped node again and waits until it runs. */
  async startNode(index: NodeIndex): Promise<void> {
    await this.script(['start-node', String(index), '--name', this.name], 240_000);
  }

  /** Waits until the cluster reports all three nodes running. */
  async waitForAllNodes(): Promise<void> {
    await this.script(['wait', '--name', this.name], 240_000);
  }

  /** The node (1..3) that leads quorum queue `queue` of `vhost`. */
  async leaderOf(vhost: string, queue: string): Promise<NodeIndex> {
    const rows = JSON.parse(await this.ctlAny(['list_queues', '-p', vhost, 'name', 'leader', '--formatter', 'json'])) as Array<{
      name: string;
      leader?: string;
    }>;
    const leader = rows.find((row) => row.name === queue)?.leader;
    const index = NODES.find((node) => this.nodeName(node) === leader);
    if (!index) throw new Error(`No leader known for queue ${queue} in ${vhost} (rows: ${JSON.stringify(rows)})`);
    return index;
  }

  /** rabbitmqctl on the first node that answers. */
  async ctlAny(args: string[]): Promise<string> {
    let lastError: unknown;
    for (const index of NODES) {
      try {
        return await this.ctl(index, args);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  async ctl(index: NodeIndex, args: string[]): Promise<string> {
    const { stdout } = await run(
      'runuser',
      [
        '-u',
        'rabbitmq',
        '--',
        'env',
        'HOME=/var/lib/rabbitmq',
        'RABBITMQ_CONF_ENV_FILE=/dev/null',
        `${RABBIT_BIN}/rabbitmqctl`,
        '-q',
        '-n',
        this.nodeName(index),
        ...args,
      ],
      { timeout: 60_000 },
    );
    return stdout;
  }

  /** Stops every node and deletes the cluster's folder. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    process.removeListener('exit', this.removeAtExit);
    await this.script(['stop', '--name', this.name], 180_000).catch((error: unknown) => {
      process.stderr.write(`test cluster ${this.name}: stop failed: ${String(error)}\n`);
    });
  }

  private removeNow(): void {
    if (this.removed) return;
    this.removed = true;
    try {
      execFileSync('bash', [SCRIPT, 'stop', '--name', this.name], { stdio: 'ignore', timeout: 120_000 });
    } catch {
      // nothing more can be done at exit
    }
  }

  private async script(args: string[], timeoutMs: number): Promise<string> {
    try {
      const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: timeoutMs });
      return stdout;
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`cluster.sh ${args.join(' ')} failed: ${stderr || stdout || String(error)}`, { cause: error });
    }
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function connectAny(urls: readonly string[]): Promise<ChannelModel> {
  let lastError: unknown;
  for (const url of urls) {
    try {
      const connection = await amqplib.connect(url);
      connection.on('error', () => undefined);
      return connection;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
