// The harness's own promises: what it answers, how time moves, what a failed expectation says, and that it opens no
// connection to anything.
import { Socket } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import {
  MessageContext,
  MessageHandler,
  MessageValidationError,
  MessagingModule,
  PermanentError,
  Retryable,
  TransientError,
  faultOf,
  type Fault,
} from '@app/messaging';
import { MessagingHarness } from './messaging-harness';

class TaskQueued {
  static readonly messageType = 'task.queued';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  /** "ok", "transient-N" (fails N times), "permanent". */
  @IsString() behaviour!: string;
}

@Injectable()
class TaskHandler {
  readonly calls = new Map<string, number>();

  @MessageHandler(TaskQueued)
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, jitter: 'none' } })
  onTask(task: TaskQueued, context: MessageContext): void {
    this.calls.set(task.id, (this.calls.get(task.id) ?? 0) + 1);
    if (task.behaviour === 'permanent') throw new PermanentError(`task ${task.id} cannot be done`);
    const transient = /^transient-(\d+)$/.exec(task.behaviour);
    if (transient && context.attempt <= Number(transient[1])) throw new TransientError(`task ${task.id} failed for now`);
  }
}

@Injectable()
class FaultHandler {
  @MessageHandler(faultOf(TaskQueued))
  onFault(fault: Fault): void {
    void fault;
  }
}

describe('MessagingHarness', () => {
  let harness: MessagingHarness;

  beforeAll(async () => {
    harness = await MessagingHarness.create({
      imports: [MessagingModule.forRoot({ serviceName: 'tasks', url: 'amqp://127.0.0.1:1' })],
      providers: [TaskHandler, FaultHandler],
    });
  });

  afterAll(() => harness?.close());

  it('answers consumed() with the delivery the handler finished, its message validated', async () => {
    const receipt = await harness.publish(TaskQueued, { id: 'a', behaviour: 'ok' });
    const delivery = await harness.consumed(TaskQueued, (task) => task.id === 'a');
    expect(delivery).toMatchObject({ messageId: receipt.messageId, correlationId: receipt.correlationId, attempt: 1, outcome: 'acked' });
    expect(delivery.message).toBeInstanceOf(TaskQueued);
  });

  it('refuses an invalid message at publish: nothing is sent', async () => {
    await expect(harness.publish(TaskQueued, { id: 'b' } as TaskQueued)).rejects.toThrow(MessageValidationError);
    expect(await harness.published(TaskQueued, (task) => task.id === 'b')).toEqual([]);
  });

  it('holds a retry until the test moves the clock far enough', async () => {
    const { messageId } = await harness.publish(TaskQueued, { id: 'c', behaviour: 'transient-1' });
    await harness.idle();
    const [copy] = (await harness.retried(TaskQueued)).filter((retry) => retry.messageId === messageId);
    expect(copy).toEqual({ queue: 'tasks.task.queued', messageId, attempts: 1, delayMs: 1000, dueAt: harness.now + 1000 });
    expect(harness.get(TaskHandler).calls.get('c')).toBe(1);
    await harness.advanceTime(999);
    expect(harness.get(TaskHandler).calls.get('c')).toBe(1);
    await harness.advanceTime(1);
    expect((await harness.attempts(TaskQueued, (task) => task?.id === 'c')).map((d) => d.outcome)).toEqual(['retried', 'acked']);
  });

  it('says what it saw when the expected message was not consumed', async () => {
    await harness.publish(TaskQueued, { id: 'd', behaviour: 'transient-2' });
    const failure = harness.consumed(TaskQueued, (task) => task.id === 'd');
    await expect(failure).rejects.toThrow(/No task\.queued was consumed that matches the predicate/);
    await expect(harness.consumed(TaskQueued, (task) => task.id === 'd')).rejects.toThrow(
      /attempt 1: retried \(again in 1000 ms\)[\s\S]*waits for tasks\.task\.queued until \d+ ms \(now \d+ ms\): advanceTime\(\) to deliver it/,
    );
    await harness.advanceUntilSettled();
    expect((await harness.consumed(TaskQueued, (task) => task.id === 'd')).attempt).toBe(3);
  });

  it('lists the dead letters and the fault events of a failed message', async () => {
    const { messageId } = await harness.publish(TaskQueued, { id: 'e', behaviour: 'permanent' });
    const [letter] = await harness.deadLettered(TaskQueued, (task) => task?.id === 'e');
    expect(letter).toMatchObject({
      messageId,
      queue: 'tasks.task.queued.dlq',
      errorType: 'permanent',
      errorMessage: 'task e cannot be done',
    });
    const faults = await harness.published(faultOf(TaskQueued), (fault) => fault.messageId === messageId);
    expect(faults).toHaveLength(1);
    expect(faults[0].causationId).toBe(messageId);
  });

  it('opens no network connection from start to close, whatever AMQP_URL says', async () => {
    const connect = jest.spyOn(Socket.prototype, 'connect');
    try {
      const isolated = await MessagingHarness.create({
        imports: [MessagingModule.forRoot({ serviceName: 'isolated', url: 'amqp://127.0.0.1:1' })],
        providers: [TaskHandler],
      });
      await isolated.publish(TaskQueued, { id: 'offline', behaviour: 'transient-1' });
      await isolated.advanceTime(1000);
      await isolated.consumed(TaskQueued, (task) => task.id === 'offline');
      await isolated.close();
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
  });

  it("takes a Test.createTestingModule builder, with the test's own overrides", async () => {
    const GREETING = 'GREETING';
    @Injectable()
    class Greeter {
      readonly greeted: string[] = [];
      constructor(@Inject(GREETING) private readonly greeting: string) {}

      @MessageHandler(TaskQueued)
      onTask(task: TaskQueued): void {
        this.greeted.push(`${this.greeting} ${task.id}`);
      }
    }
    const built = await MessagingHarness.create(
      Test.createTestingModule({
        imports: [MessagingModule.forRoot({ serviceName: 'built' })],
        providers: [Greeter, { provide: GREETING, useValue: 'hello' }],
      })
        .overrideProvider(GREETING)
        .useValue('hi'),
    );
    try {
      await built.publish(TaskQueued, { id: 'g', behaviour: 'ok' });
      await built.consumed(TaskQueued);
      expect(built.get(Greeter).greeted).toEqual(['hi g']);
    } finally {
      await built.close();
    }
  });
});
