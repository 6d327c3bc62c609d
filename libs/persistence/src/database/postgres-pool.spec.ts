// Protects the pool's side of an outage without a server: a refused connection and a server that never answers both
// fail as DependencyUnavailableError within the connect timeout, are reported, and end nothing.
import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { DependencyUnavailableError, dependencyOutageOf } from '@app/messaging';
import { freePort } from '../../../../test/support/service-process';
import { createPostgresPool } from './postgres-pool';

describe('the PostgreSQL pool while the database is away', () => {
  it('fails a query on a refused connection as DependencyUnavailableError, with the socket error as its cause, and reports it', async () => {
    const failures: unknown[] = [];
    const pool = createPostgresPool({
      url: `postgres://app@127.0.0.1:${await freePort()}/orders`,
      max: 2,
      connectTimeoutMs: 1000,
      onConnectionFailure: (error) => failures.push(error),
    });
    const db = drizzle(pool);

    const error = await db.execute(sql`select 1`).catch((caught: unknown) => caught);
    const viaTransaction = await db.transaction(async (tx) => tx.execute(sql`select 1`)).catch((caught: unknown) => caught);
    const viaPoolQuery = await pool.query('select 1').catch((caught: unknown) => caught);

    for (const failure of [error, viaTransaction, viaPoolQuery]) {
      const outage = dependencyOutageOf(failure);
      expect(outage).toBeInstanceOf(DependencyUnavailableError);
      expect(outage).toMatchObject({ dependency: 'database', cause: expect.objectContaining({ code: 'ECONNREFUSED' }) });
    }
    expect(failures.length).toBeGreaterThanOrEqual(3);
    await pool.end();
  });

  describe('with a server that accepts connections and never answers', () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives up after connectTimeoutMs, as DependencyUnavailableError', async () => {
      const pool = createPostgresPool({ url: `postgres://app@127.0.0.1:${port}/orders`, max: 1, connectTimeoutMs: 300 });
      const started = Date.now();

      const error = await drizzle(pool)
        .execute(sql`select 1`)
        .catch((caught: unknown) => caught);

      expect(dependencyOutageOf(error)).toMatchObject({ dependency: 'database' });
      expect(Date.now() - started).toBeLessThan(3000);
      await pool.end();
    });
  });
});
