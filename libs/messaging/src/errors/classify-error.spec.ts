import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { classifyError, defaultClassifier, type ErrorClassifier } from './classify-error';
import { MessageDecodeError, MessageValidationError, PermanentError, PublishError, TransientError } from '@app/messaging-core';

/** An error as Node's net, dns and undici modules raise it: a plain Error with a string `code`. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:5432`), { code });
}

describe('classifyError', () => {
  describe('named error classes', () => {
    it('classifies a message that fails validation as validation', () => {
      const error = new MessageValidationError('order.created', [{ path: 'orderId', reasons: ['must be a UUID'] }]);

      expect(classifyError(error)).toBe('validation');
    });

    it('classifies a delivery that cannot be decoded as validation', () => {
      expect(classifyError(new MessageDecodeError('Body is not valid JSON'))).toBe('validation');
    });

    it('classifies a PermanentError as permanent', () => {
      expect(classifyError(new PermanentError('customer was deleted'))).toBe('permanent');
    });

    it('classifies a subclass of PermanentError as permanent', () => {
      class OrderCancelled extends PermanentError {}

      expect(classifyError(new OrderCancelled('too late'))).toBe('permanent');
    });

    it('classifies a TransientError as transient', () => {
      expect(classifyError(new TransientError('database busy'))).toBe('transient');
    });

    it('classifies an unconfirmed publish as transient', () => {
      expect(classifyError(new PublishError('broker nacked the publish'))).toBe('transient');
    });

    it('trusts the class over a socket code the error also carries', () => {
      const error = Object.assign(new PermanentError('refused for good'), { code: 'ECONNREFUSED' });

      expect(classifyError(error)).toBe('permanent');
    });
  });

  describe('HTTP exceptions', () => {
    it.each([
      ['400 Bad Request', new BadRequestException()],
      ['404 Not Found', new NotFoundException()],
      ['409 Conflict', new ConflictException()],
      ['422 Unprocessable Entity', new HttpException('unprocessable', HttpStatus.UNPROCESSABLE_ENTITY)],
    ])('classifies %s as permanent: the same request will fail again', (_label, error) => {
      expect(classifyError(error)).toBe('permanent');
    });

    it.each([
      ['408 Request Timeout', new HttpException('timeout', HttpStatus.REQUEST_TIMEOUT)],
      ['429 Too Many Requests', new HttpException('slow down', HttpStatus.TOO_MANY_REQUESTS)],
    ])('classifies %s as transient although it is a 4xx', (_label, error) => {
      expect(classifyError(error)).toBe('transient');
    });

    it.each([
      ['500 Internal Server Error', new InternalServerErrorException()],
      ['502 Bad Gateway', new HttpException('bad gateway', HttpStatus.BAD_GATEWAY)],
      ['503 Service Unavailable', new ServiceUnavailableException()],
    ])('classifies %s as transient', (_label, error) => {
      expect(classifyError(error)).toBe('transient');
    });
  });

  describe('Node socket errors', () => {
    it.each([
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_SOCKET',
    ])('classifies %s as transient', (code) => {
      expect(classifyError(socketError(code))).toBe('transient');
    });

    it('classifies a TypeError carrying a socket code as transient', () => {
      const error = Object.assign(new TypeError('fetch failed'), { code: 'ECONNRESET' });

      expect(classifyError(error)).toBe('transient');
    });
  });

  describe('programming errors', () => {
    it('classifies a TypeError as permanent: a bug does not heal by retrying', () => {
      const error = (() => {
        try {
          return (undefined as unknown as { id: string }).id; // throws the TypeError
        } catch (caught) {
          return caught;
        }
      })();

      expect(error).toBeInstanceOf(TypeError);
      expect(classifyError(error)).toBe('permanent');
    });

    it('classifies a RangeError and a SyntaxError as permanent', () => {
      expect(classifyError(new RangeError('Invalid array length'))).toBe('permanent');
      expect(classifyError(new SyntaxError('Unexpected token'))).toBe('permanent');
    });

    it('classifies a TypeError with an unrelated code (ERR_INVALID_ARG_TYPE) as permanent', () => {
      const error = Object.assign(new TypeError('The "path" argument must be of type string'), {
        code: 'ERR_INVALID_ARG_TYPE',
      });

      expect(classifyError(error)).toBe('permanent');
    });
  });

  describe('unknown errors', () => {
    it.each<[string, unknown]>([
      ['a plain Error', new Error('something odd')],
      ['an Error with an unknown code', socketError('ENOENT')],
      ['a thrown string', 'boom'],
      ['a thrown object', { reason: 'nope' }],
      ['null', null],
      ['undefined', undefined],
    ])('classifies %s as transient, so that nothing is dead-lettered without a reason', (_label, error) => {
      expect(classifyError(error)).toBe('transient');
    });
  });

  describe('user classifiers', () => {
    it('consults user classifiers before the library rules', () => {
      const everythingPermanent: ErrorClassifier = () => 'permanent';

      expect(classifyError(new TransientError('would be retried'), [everythingPermanent])).toBe('permanent');
    });

    it('uses the first user classifier that decides, in order', () => {
      const calls: string[] = [];
      const first: ErrorClassifier = () => {
        calls.push('first');
        return 'transient';
      };
      const second: ErrorClassifier = () => {
        calls.push('second');
        return 'permanent';
      };

      expect(classifyError(new Error('x'), [first, second])).toBe('transient');
      expect(calls).toEqual(['first']);
    });

    it('falls through a classifier that returns undefined to the next one, then to the library rules', () => {
      const calls: string[] = [];
      const undecided: ErrorClassifier = () => {
        calls.push('undecided');
        return undefined;
      };
      const alsoUndecided: ErrorClassifier = () => {
        calls.push('alsoUndecided');
        return undefined;
      };

      expect(classifyError(new PermanentError('x'), [undecided, alsoUndecided])).toBe('permanent');
      expect(calls).toEqual(['undecided', 'alsoUndecided']);
    });

    it('hands the error itself to the user classifier', () => {
      class PaymentDeclined extends Error {}
      const declinedIsPermanent: ErrorClassifier = (error) => (error instanceof PaymentDeclined ? 'permanent' : undefined);

      expect(classifyError(new PaymentDeclined('card declined'), [declinedIsPermanent])).toBe('permanent');
      expect(classifyError(new Error('other'), [declinedIsPermanent])).toBe('transient');
    });
  });

  it('exports the library rules alone as defaultClassifier, for user classifiers to build on', () => {
    expect(defaultClassifier(new MessageDecodeError('d'))).toBe('validation');
    expect(defaultClassifier(new PermanentError('p'))).toBe('permanent');
    expect(defaultClassifier(new BadRequestException())).toBe('permanent');
    expect(defaultClassifier(socketError('ECONNRESET'))).toBe('transient');
    expect(defaultClassifier(new Error('e'))).toBe('transient');
  });
});
