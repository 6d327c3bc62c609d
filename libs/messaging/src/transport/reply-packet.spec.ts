// Protects what a reply carries: the result, or the error as Nest's RPC exception filter would answer it, with the
// library's kind and the class name, never a stack.
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { PermanentError } from '@app/messaging-core';
import { errorReply, readReply, replyErrorOf, resultReply } from './reply-packet';

describe('reply packets', () => {
  it('carry a result, and read back as they were written', () => {
    expect(readReply(resultReply({ price: 12 }))).toEqual({ response: { price: 12 }, isDisposed: true });
    expect(readReply(resultReply(undefined))).toEqual({ response: undefined, isDisposed: true });
  });

  it('describe an error by its message, its kind and its class, without the stack', () => {
    const error = new Error('price table corrupt');
    expect(replyErrorOf(error)).toEqual({ status: 'error', message: 'price table corrupt', errorType: 'transient', name: 'Error' });
    expect(replyErrorOf(new PermanentError('no such parcel'))).toMatchObject({ errorType: 'permanent', name: 'PermanentError' });
    expect(errorReply(error).toString()).not.toContain(error.stack!.split('\n')[1].trim());
  });

  it("mask e-mail addresses in an error's message, as dead-letter headers do", () => {
    expect(replyErrorOf(new Error('no customer ada@example.com')).message).not.toContain('ada@example.com');
  });

  it('answer an RpcException as Nest does: its object as it is, or its text as the message', () => {
    expect(replyErrorOf(new RpcException({ code: 'UNKNOWN', message: 'no parcel p-1' }))).toEqual({
      status: 'error',
      code: 'UNKNOWN',
      message: 'no parcel p-1',
    });
    expect(replyErrorOf(new RpcException('no parcel p-2'))).toEqual({ status: 'error', message: 'no parcel p-2', name: 'RpcException' });
  });

  it("say what an HttpException's response says (a guard's refusal, a ValidationPipe's reasons)", () => {
    expect(replyErrorOf(new ForbiddenException('Forbidden resource'))).toMatchObject({
      message: 'Forbidden resource',
      errorType: 'permanent',
    });
    expect(replyErrorOf(new BadRequestException(['page must be a number', 'size is required'])).message).toBe(
      'page must be a number; size is required',
    );
  });

  it('answer what an RPC exception filter threw back (a plain object) with its fields', () => {
    expect(replyErrorOf({ status: 'error', message: 'Internal server error' })).toEqual({
      status: 'error',
      message: 'Internal server error',
    });
  });

  it('read an error reply as an error, whatever its shape, and refuse what is not a reply', () => {
    expect(readReply(Buffer.from(JSON.stringify({ err: 'boom' })))).toEqual({
      err: { status: 'error', message: 'boom' },
      isDisposed: true,
    });
    expect(readReply(Buffer.from(JSON.stringify({ err: { code: 7 } })))).toEqual({
      err: { status: 'error', code: 7, message: 'The responder failed' },
      isDisposed: true,
    });
    expect(readReply(Buffer.from('not json'))).toBeUndefined();
    expect(readReply(Buffer.from('42'))).toBeUndefined();
  });
});
