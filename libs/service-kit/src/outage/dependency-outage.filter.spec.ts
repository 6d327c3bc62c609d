// Protects the HTTP answer to a dependency outage: 503 with Retry-After naming the dependency, and nothing else
// changed: a client's 4xx stays a 4xx, a bug stays a 500, a 503 the application chose stays its own.
import type { Server } from 'node:http';
import { BadRequestException, Controller, Get, ServiceUnavailableException, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DependencyUnavailableError } from '@app/messaging';
import { ServiceKitModule } from '../service-kit.module';
import { OutageModule, resolveOutageOptions } from './outage.module';

const databaseOutage = () => new DependencyUnavailableError('database', 'the database cannot be reached: connect ECONNREFUSED');

@Controller()
class FailingController {
  @Get('outage')
  outage(): never {
    // What a query wrapper throws: its own error, the pool's DependencyUnavailableError as the cause.
    throw new Error('Failed query: insert into "orders" ...', { cause: databaseOutage() });
  }

  @Get('redis')
  async redis(): Promise<never> {
    await Promise.resolve();
    throw new DependencyUnavailableError('redis', 'Redis is unavailable: Connection is closed.');
  }

  @Get('bad-request')
  badRequest(): never {
    throw new BadRequestException('quantity must be positive');
  }

  @Get('bug')
  bug(): never {
    throw new TypeError("Cannot read properties of undefined (reading 'id')");
  }

  @Get('chosen-503')
  chosen(): never {
    throw new ServiceUnavailableException('maintenance', { cause: databaseOutage() });
  }

  @Get('socket-code')
  socketCode(): never {
    // A code alone (no outage the pool recognised) is not read as one.
    throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:443'), { code: 'ECONNREFUSED', syscall: 'connect' });
  }
}

async function appWith(module: Type | ReturnType<typeof OutageModule.forRoot>): Promise<INestApplication<Server>> {
  const moduleRef = await Test.createTestingModule({ imports: [module], controllers: [FailingController] }).compile();
  const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
  await app.init();
  return app;
}

describe('DependencyOutageFilter', () => {
  let app: INestApplication<Server>;

  beforeAll(async () => {
    app = await appWith(OutageModule.forRoot({ retryAfterSeconds: 7 }));
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 503 with Retry-After and the dependency when the error has a database outage among its causes', async () => {
    const response = await request(app.getHttpServer()).get('/outage');

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The service cannot reach its database right now; try again later',
      dependency: 'database',
    });
  });

  it('answers 503 for an outage of any dependency, thrown from an async handler', async () => {
    const response = await request(app.getHttpServer()).get('/redis');

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ dependency: 'redis' });
  });

  it("leaves a client's 4xx as it is", async () => {
    const response = await request(app.getHttpServer()).get('/bad-request');

    expect(response.status).toBe(400);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body).toMatchObject({ statusCode: 400, message: 'quantity must be positive' });
  });

  it('leaves a bug a 500, and an error that only has a socket code too', async () => {
    for (const path of ['/bug', '/socket-code']) {
      const response = await request(app.getHttpServer()).get(path);

      expect(response.status).toBe(500);
      expect(response.headers['retry-after']).toBeUndefined();
      expect(response.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    }
  });

  it('leaves an HTTP exception the application chose as it is, whatever its cause', async () => {
    const response = await request(app.getHttpServer()).get('/chosen-503');

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body).toMatchObject({ message: 'maintenance' });
  });
});

describe('ServiceKitModule and outages', () => {
  it('answers 503 by default, and leaves outages to Nest (500) with outages: false', async () => {
    const parts = { serviceName: 'svc', logging: false, metrics: false, health: false, correlation: false, admin: false } as const;
    const withFilter = await appWith(ServiceKitModule.forRoot(parts));
    const without = await appWith(ServiceKitModule.forRoot({ ...parts, outages: false }));
    try {
      expect((await request(withFilter.getHttpServer()).get('/outage')).status).toBe(503);
      expect((await request(without.getHttpServer()).get('/outage')).status).toBe(500);
    } finally {
      await withFilter.close();
      await without.close();
    }
  });

  it('refuses a Retry-After that is not a whole number of seconds', () => {
    expect(resolveOutageOptions({})).toEqual({ retryAfterSeconds: 5 });
    expect(() => resolveOutageOptions({ retryAfterSeconds: 1.5 })).toThrow('Invalid outage option "retryAfterSeconds"');
  });
});
