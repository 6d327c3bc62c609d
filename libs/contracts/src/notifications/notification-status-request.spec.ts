// Specs for NotificationStatusRequest: an order id, nothing else.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { NotificationStatusRequest } from './notification-status-request';

describe('NotificationStatusRequest', () => {
  it('accepts an order id', async () => {
    const { instance, issues } = await validateLikeLibrary(
      NotificationStatusRequest,
      { orderId: '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e' },
      'reject',
    );

    expect(issues).toEqual([]);
    expect(instance).toBeInstanceOf(NotificationStatusRequest);
  });

  it('refuses a missing or malformed order id, at its path', async () => {
    for (const orderId of [undefined, 'order-1']) {
      const { issues } = await validateLikeLibrary(NotificationStatusRequest, { orderId }, 'reject');
      expect(reasonsAt(issues, 'orderId')).toEqual([expect.stringMatching(/^orderId must be a UUID/)]);
    }
  });
});
