// Integration: a user's own Nest guards, interceptors, pipes and exception filters apply to message handlers.
import {
  Catch,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { tap, type Observable } from 'rxjs';
import {
  MESSAGE_CONTEXT_TYPE,
  MessageContext,
  MessageHandler,
  ConsumerSupervisor,
  MessagePublisher,
  MessagingModule,
} from '@app/messaging';
import { createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';

class TaskAssigned {
  static readonly messageType = 'task.assigned';
  static readonly schemaVersion = 1;
  @IsString() task!: string;
  @IsString() assignee!: string;
}

class TaskClosed {
  static readonly messageType = 'task.closed';
  static readonly schemaVersion = 1;
  @IsString() task!: string;
}

class AssigneeUnavailable extends Error {}

const seenByInterceptor: Array<{ type: string; data: unknown; context: unknown; after: boolean }> = [];

@Injectable()
class RecordingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const entry = {
      type: context.getType<string>(),
      data: context.switchToRpc().getData<unknown>(),
      context: context.switchToRpc().getContext<unknown>(),
      after: false,
    };
    seenByInterceptor.push(entry);
    return next.handle().pipe(tap(() => (entry.after = true)));
  }
}

@Injectable()
class OnlyKnownAssignees implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getData<{ assignee?: string }>().assignee !== 'mallory';
  }
}

/** A pipe of the user's own: it gets the message the library has validated, and may change what the handler gets. */
class TrimTask implements PipeTransform {
  transform(value: unknown): unknown {
    if (!(value instanceof TaskAssigned)) return value;
    return Object.assign(new TaskAssigned(), value, { task: value.task.trim() });
  }
}

@Catch(AssigneeUnavailable)
class ParkUnavailable implements ExceptionFilter {
  readonly parked: string[] = [];
  catch(error: AssigneeUnavailable, _host: ArgumentsHost): string {
    this.parked.push(error.message);
    return 'parked'; // handled: the delivery is acked
  }
}
const parkUnavailable = new ParkUnavailable();

@Injectable()
class TaskHandler {
  readonly assigned: TaskAssigned[] = [];
  readonly closed: TaskClosed[] = [];

  @MessageHandler(TaskAssigned)
  @UseGuards(OnlyKnownAssignees)
  @UseInterceptors(RecordingInterceptor)
  @UsePipes(new TrimTask())
  @UseFilters(parkUnavailable)
  onAssigned(message: TaskAssigned, _context: MessageContext): void {
    if (message.assignee === 'on-holiday') throw new AssigneeUnavailable(`task ${message.task}`);
    this.assigned.push(message);
  }

  @MessageHandler(TaskClosed)
  onClosed(message: TaskClosed): void {
    this.closed.push(message);
  }
}

describe('Nest enhancers on message handlers', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let handler: TaskHandler;
  let publisher: MessagePublisher;

  beforeAll(async () => {
    vhost = await createTestVhost('enhancers');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'tasks', queueType: 'classic', delay: 'ladder', shutdownTimeoutMs: 500 }),
      ],
      providers: [TaskHandler, RecordingInterceptor, OnlyKnownAssignees],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    handler = app.get(TaskHandler);
    publisher = app.get(MessagePublisher);
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  });

  it('runs interceptors around the handler with the message context type, data and MessageContext', async () => {
    const { messageId } = await publisher.publish(TaskAssigned, { task: 'write docs', assignee: 'ada' });
    await eventually(() => handler.assigned.some((m) => m.task === 'write docs'), 'assignment handled');
    const entry = seenByInterceptor.find((e) => (e.context as MessageContext).messageId === messageId)!;
    expect(entry.type).toBe(MESSAGE_CONTEXT_TYPE);
    expect(entry.data).toEqual({ task: 'write docs', assignee: 'ada' });
    expect(entry.context).toBeInstanceOf(MessageContext);
    expect(entry.after).toBe(true);
  });

  it("applies the user's pipes to the message the library validated", async () => {
    await publisher.publish(TaskAssigned, { task: '  padded  ', assignee: 'ada' });
    await eventually(() => handler.assigned.some((m) => m.task === 'padded'), 'trimmed task handled');
    expect(handler.assigned.find((m) => m.task === 'padded')).toBeInstanceOf(TaskAssigned);
  });

  it('dead-letters a message a guard refuses, without running the handler', async () => {
    const { messageId } = await publisher.publish(TaskAssigned, { task: 'steal', assignee: 'mallory' });
    const connection = await vhost.connect();
    try {
      const dead = await getOne(connection, 'tasks.task.assigned.dlq');
      expect(dead.properties.messageId).toBe(messageId);
      expect(dead.properties.headers?.['x-error-type']).toBe('permanent');
      expect(String(dead.properties.headers?.['x-error-message'])).toMatch(/Forbidden/i);
    } finally {
      await connection.close();
    }
    expect(handler.assigned.some((m) => m.task === 'steal')).toBe(false);
  });

  it("lets a method's exception filter handle an error, and then acks the message", async () => {
    await publisher.publish(TaskAssigned, { task: 'review', assignee: 'on-holiday' });
    await eventually(() => parkUnavailable.parked.includes('task review'), 'error parked by the filter');
    const connection = await vhost.connect();
    try {
      const channel = await connection.createChannel();
      await eventually(async () => (await channel.checkQueue('tasks.task.assigned')).messageCount === 0, 'queue drained');
      expect((await channel.checkQueue('tasks.task.assigned.dlq')).messageCount).toBe(0);
    } finally {
      await connection.close();
    }
  });

  it('leaves handlers without enhancers alone', async () => {
    await publisher.publish(TaskClosed, { task: 'done' });
    await eventually(() => handler.closed.length === 1, 'close handled');
    expect(seenByInterceptor.some((e) => (e.data as { task?: string }).task === 'done')).toBe(false);
  });

  // Last in this block: it adds a global interceptor to the shared app. (The README says to register them before.)
  it('applies no global enhancer registered after init', async () => {
    app.useGlobalInterceptors(new RecordingInterceptor());
    await publisher.publish(TaskClosed, { task: 'late' });
    await eventually(() => handler.closed.some((m) => m.task === 'late'), 'close handled');
    expect(seenByInterceptor.some((e) => (e.data as { task?: string }).task === 'late')).toBe(false);
  });
});

describe('global enhancers on message handlers', () => {
  let vhost: TestVhost;
  let app: INestApplication;

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  });

  it('applies a global interceptor to a handler that has no enhancers of its own', async () => {
    vhost = await createTestVhost('global-enhancers');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'global', queueType: 'classic', delay: 'ladder', shutdownTimeoutMs: 500 }),
      ],
      providers: [TaskHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    app.useGlobalInterceptors(new RecordingInterceptor());
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    const { messageId } = await app.get(MessagePublisher).publish(TaskClosed, { task: 'global' });
    await eventually(() => app.get(TaskHandler).closed.some((m) => m.task === 'global'), 'close handled');
    const entry = seenByInterceptor.find((e) => (e.context as MessageContext).messageId === messageId);
    expect(entry?.type).toBe(MESSAGE_CONTEXT_TYPE);
    expect(entry?.after).toBe(true);
  });
});
