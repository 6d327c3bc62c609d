import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { SagaDetails, SagaDirectory, SagaQuery, SagaSummary } from '@app/messaging';
import { SagaAdminController } from './saga-admin.controller';

function directory(): jest.Mocked<SagaDirectory> {
  return {
    list: jest.fn(async (_query: SagaQuery) => ({ total: 0, sagas: [] as SagaSummary[] })),
    get: jest.fn(async (_type: string, _key: string): Promise<SagaDetails | undefined> => undefined),
  };
}

describe('SagaAdminController', () => {
  it('lists the sagas in flight by default, and completed ones or both when asked', async () => {
    const sagas = directory();
    const controller = new SagaAdminController(sagas);

    await controller.list('order-notification', 'OVERDUE', undefined, '10');
    await controller.list(undefined, undefined, 'true');
    await controller.list(undefined, undefined, 'any');

    expect(sagas.list.mock.calls.map(([query]) => query)).toEqual([
      { completed: false, type: 'order-notification', state: 'OVERDUE', limit: 10 },
      { completed: true, type: undefined, state: undefined, limit: undefined },
      { all: true, type: undefined, state: undefined, limit: undefined },
    ]);
  });

  it.each([
    ['completed=maybe', () => new SagaAdminController(directory()).list(undefined, undefined, 'maybe')],
    ['limit=0', () => new SagaAdminController(directory()).list(undefined, undefined, 'false', '0')],
    ['limit=many', () => new SagaAdminController(directory()).list(undefined, undefined, 'false', 'many')],
  ])('answers 400 for %s', (_case, call) => {
    expect(call).toThrow(BadRequestException);
  });

  it('answers 404 for an instance that does not exist, naming it', async () => {
    await expect(new SagaAdminController(directory()).get('order-notification', 'o-1')).rejects.toThrow(
      new NotFoundException('No order-notification saga with key "o-1"'),
    );
  });

  it('answers 404 saying why in a service that keeps no sagas', () => {
    expect(() => new SagaAdminController(undefined).list()).toThrow(/SagasModule/);
  });
});
