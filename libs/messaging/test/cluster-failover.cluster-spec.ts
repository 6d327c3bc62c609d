// Fault: a service connected to a RabbitMQ cluster of three nodes of its own (test-cluster.ts; never the machine's
// broker). The node it is connected to stops in the middle of a stream of publishes and deliveries: it moves to a
// live node, declares its topology again and goes on; every publish resolves (the ones whose confirm the dead node
// took with it are sent again), every message is handled. The node leading its queue stops: the queue elects a new
// leader among its replicas and nothing is lost. A bad AMQP_URL list is refused at start.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import { AmqpConnection, ConsumerSupervisor, MessageContext, MessageHandler, MessagePublisher, MessagingModule } from '@app/messaging';
import { eventually } from '../../../test/support/test-broker';
import { NODES, TestCluster, type ClusterVhost, type NodeIndex } from '../../../test/support/test-cluster';

class MeterRead {
  static readonly messageType = 'meter.read';
  static readonly schemaVersion = 1;
  @IsInt() n!: number;
}

@Injectable()
class MeterHandler {
  readonly seen = new Set<number>();
  deliveries = 0;

  @MessageHandler(MeterRead, { prefetch: 20 })
  async onRead(message: MeterRead, _context: MessageContext): Promise<void> {
    this.deliveries++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.seen.add(message.n);
  }
}

const QUEUE = 'meters.meter.read';

const clusterOf = TestCluster.forTestFile();

describe('a service on a RabbitMQ cluster', () => {
  let vhost: ClusterVhost;
  let app: INestApplication;

  function nodeOf(url: string | undefined): NodeIndex {
    const node = NODES.find((index) => url !== undefined && new URL(url).port === String(clusterOf.cluster.ports[index - 1]));
    if (!node) throw new Error(`not connected to a node of the cluster (${url})`);
    return node;
  }

  beforeAll(async () => {
    vhost = await clusterOf.cluster.createVhost('failover');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.urls,
          serviceName: 'meters',
          delay: 'ladder',
          quorum: { initialGroupSize: 3 },
          reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
          publishTimeoutMs: 30_000,
        }),
      ],
      providers: [MeterHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady(60_000);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  /** Publishes n from..to one every `everyMs`; resolves with the publishes' outcomes once all have settled. */
  async function stream(from: number, to: number, everyMs: number, midway: () => Promise<void>): Promise<PromiseSettledResult<unknown>[]> {
    const publisher = app.get(MessagePublisher);
    const publishes: Promise<unknown>[] = [];
    const half = Math.floor((from + to) / 2);
    for (let n = from; n <= to; n++) {
      publishes.push(publisher.publish(MeterRead, { n }));
      if (n === half) await midway();
      else await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    return Promise.allSettled(publishes);
  }

  it('moves to a live node when its node stops mid-stream, and loses no publish and no message', async () => {
    const connection = app.get(AmqpConnection);
    const handler = app.get(MeterHandler);
    const first = nodeOf(connection.connectedUrl);

    let stopping: Promise<void> | undefined;
    try {
      const outcomes = await stream(1, 1500, 1, async () => {
        // Not awaited: publishes and deliveries go on while the node goes down.
        stopping = clusterOf.cluster.stopNode(first);
        await eventually(
          () => !connection.isConnected() || nodeOf(connection.connectedUrl) !== first,
          'the connection leaving the node',
          30_000,
        );
      });

      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      await eventually(() => handler.seen.size === 1500, `all 1500 handled (have ${handler.seen.size})`, 60_000);
      expect(nodeOf(connection.connectedUrl)).not.toBe(first);
      await app.get(ConsumerSupervisor).waitUntilReady(30_000);
      expect(app.get(ConsumerSupervisor).isConsuming).toBe(true);
    } finally {
      await stopping;
      await clusterOf.cluster.startNode(first);
      await clusterOf.cluster.waitForAllNodes();
    }
  }, 240_000);

  it('goes on when the node leading its queue stops: the queue elects a new leader among its replicas', async () => {
    const connection = app.get(AmqpConnection);
    const handler = app.get(MeterHandler);
    const connectedTo = nodeOf(connection.connectedUrl);
    let leader = await clusterOf.cluster.leaderOf(vhost.name, QUEUE);
    if (leader === connectedTo) {
      // Lead from another node than the one the service is connected to, to stop only the leader.
      const other = NODES.find((index) => index !== connectedTo) as NodeIndex;
      const lookup = `{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"${vhost.name}">>, queue, <<"${QUEUE}">>))`;
      await clusterOf.cluster.ctl(other, [
        'eval',
        `${lookup}, rabbit_quorum_queue:transfer_leadership(Q, '${clusterOf.cluster.nodeName(other)}').`,
      ]);
      await eventually(async () => (await clusterOf.cluster.leaderOf(vhost.name, QUEUE)) !== connectedTo, 'the leadership moved', 30_000);
      leader = await clusterOf.cluster.leaderOf(vhost.name, QUEUE);
    }

    try {
      const outcomes = await stream(1501, 2500, 1, async () => {
        await clusterOf.cluster.stopNode(leader);
      });

      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      await eventually(() => handler.seen.size === 2500, `all 2500 handled (have ${handler.seen.size})`, 60_000);
      expect(await clusterOf.cluster.leaderOf(vhost.name, QUEUE)).not.toBe(leader);
      expect(nodeOf(connection.connectedUrl)).toBe(connectedTo);
    } finally {
      await clusterOf.cluster.startNode(leader);
    }
  }, 240_000);
});
