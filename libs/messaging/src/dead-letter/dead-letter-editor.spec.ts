import type { Message } from 'amqplib';
import { IsEmail, IsUUID } from 'class-validator';
import { DEFAULT_INPUT_LIMITS, Sensitive } from '@app/messaging-core';
import type { ConsumerSupervisor } from '../consuming/consumer-supervisor';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { TopologyNames } from '../topology/topology-names';
import type { DeadLetterAdmin, EditedCopy, ReplayResult } from './dead-letter-admin';
import { DeadLetterEditor, DeadLetterEditRefusedError } from './dead-letter-editor';

class Signup {
  static readonly messageType = 'signup.received';
  static readonly schemaVersion = 3;
  @IsUUID() userId!: string;
  @IsEmail() @Sensitive() email!: string;
}

const USER = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e';

function letter(body: unknown, originalQueue = 'shop.signup.received'): Message {
  return {
    content: Buffer.from(JSON.stringify(body)),
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'shop.signup.received.dlq' },
    properties: { messageId: 'm-1', type: 'signup.received', headers: { 'x-original-queue': originalQueue, 'x-schema-version': 4 } },
  } as unknown as Message;
}

/** The editor over a fake admin that hands `deadLetter` to the edit and keeps what it returned. */
function editorFor(deadLetter: Message): { editor: DeadLetterEditor; sent: EditedCopy[] } {
  const sent: EditedCopy[] = [];
  const admin = {
    replayEdited: async (_queue: string, _id: string, edit: (message: Message) => Promise<EditedCopy>): Promise<ReplayResult> => {
      sent.push(await edit(deadLetter));
      return { queue: 'shop.signup.received.dlq', examined: 1, replayed: 1, skipped: 0, skips: [], notFound: [] };
    },
  } as unknown as DeadLetterAdmin;
  const supervisor = {
    consumedHandlers: [{ name: 'SignupHandler.onSignup', queue: 'shop.signup.received', messageClass: Signup }],
  } as unknown as ConsumerSupervisor;
  const options = { limits: DEFAULT_INPUT_LIMITS, unknownFields: 'strip' } as unknown as ResolvedMessagingOptions;
  return { editor: new DeadLetterEditor(admin, supervisor, new TopologyNames('domain.events', 'shop'), options), sent };
}

async function refusal(work: Promise<unknown>): Promise<DeadLetterEditRefusedError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(DeadLetterEditRefusedError);
    return error as DeadLetterEditRefusedError;
  }
  throw new Error('the edit was not refused');
}

describe('DeadLetterEditor', () => {
  it("knows each handler's queue, dead-letter queue and message class", () => {
    const { editor } = editorFor(letter({}));

    expect(editor.contractOf('shop.signup.received.dlq')).toMatchObject({
      handler: 'SignupHandler.onSignup',
      queue: 'shop.signup.received',
      deadLetterQueue: 'shop.signup.received.dlq',
      messageType: 'signup.received',
      schemaVersion: 3,
    });
    expect(editor.contractOf('shop.other.dlq')).toBeUndefined();
  });

  it("sends a body that satisfies the handler's class, as its type and current schema version, masked values restored", async () => {
    const { editor, sent } = editorFor(letter({ userId: 'not-a-uuid', email: 'alice@example.com' }));

    await editor.replayEdited('shop.signup.received.dlq', 'm-1', JSON.stringify({ userId: USER, email: 'a***e@example.com' }));

    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].content.toString('utf8'))).toEqual({ userId: USER, email: 'alice@example.com' });
    expect(sent[0]).toMatchObject({ messageType: 'signup.received', headers: { 'x-schema-version': 3 } });
  });

  it('refuses a body the class refuses, with every reason, and sends nothing', async () => {
    const { editor, sent } = editorFor(letter({ userId: USER, email: 'alice@example.com' }));

    const error = await refusal(editor.replayEdited('shop.signup.received.dlq', 'm-1', JSON.stringify({ userId: 'x', email: 'nope' })));

    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['email', 'userId']);
    expect(error.message).toMatch(/not a valid signup\.received v3: .*userId/);
    expect(sent).toEqual([]);
  });

  it('refuses text that is not a JSON object', async () => {
    const { editor } = editorFor(letter({ userId: USER }));

    const error = await refusal(editor.replayEdited('shop.signup.received.dlq', 'm-1', '{"userId": '));

    expect(error.issues).toEqual([{ path: '(body)', reasons: [expect.stringMatching(/not valid JSON/)] }]);
  });

  it('refuses a dead letter of a queue no handler of this service consumes: its contract is not known', async () => {
    const { editor } = editorFor(letter({ userId: USER }, 'billing.signup.received'));

    const error = await refusal(editor.replayEdited('shop.signup.received.dlq', 'm-1', JSON.stringify({ userId: USER, email: 'a@b.co' })));

    expect(error.message).toMatch(/no handler of this service consumes "billing\.signup\.received"/);
  });
});
