// `dlq`: list, show, replay and purge dead-letter queues from a terminal, through the library's DeadLetterAdmin.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AmqpConnection,
  amqpUrlFromEnv,
  ConfigError,
  DEFAULT_AMQP_URL,
  DeadLetterAdmin,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  InvalidReplaySelectorError,
  MessagingModule,
  NotADeadLetterQueueError,
  redactUrlList,
  type DeadLetterListing,
  type ReplaySelector,
} from '@app/messaging';

/** Where a command reads and writes; the real process streams in main.ts, buffers in tests. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream;
  /** An interactive terminal: a prompt can be answered and a progress bar redrawn. */
  isTTY: boolean;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

const COMMON: OptionSpec = {
  url: { type: 'string' },
  exchange: { type: 'string' },
  'connect-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const COMMON_USAGE = '[--url <amqp-url>] [--exchange <name>] [--connect-timeout <seconds>]';
const COMMON_HELP = `Options:
  --url <amqp-url>              broker (default AMQP_URL, else ${DEFAULT_AMQP_URL})
  --exchange <name>             events exchange (default AMQP_EXCHANGE, else domain.events)
  --connect-timeout <seconds>   how long to wait for the broker (default 5)
  -h, --help                    this help
<queue> is a dead-letter queue (<queue>.dlq) or the handler queue it belongs to.
`;
/** Above this many dead letters, and on a terminal, a replay draws a progress bar instead of printing lines. */
const PROGRESS_BAR_ABOVE = 50;
const MESSAGE_COLUMN_WIDTH = 60;

interface Subcommand {
  usage: string;
  summary: string;
  options: OptionSpec;
  positionals: string[];
  run(admin: DeadLetterAdmin, args: string[], values: Values, io: CommandIo): Promise<number>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  list: {
    usage: `dlq list <queue> [--limit <n>] ${COMMON_USAGE}`,
    summary: 'dead letters grouped by error, largest group first (nothing is removed)',
    options: { limit: { type: 'string' } },
    positionals: ['queue'],
    run: async (admin, [queue], values, io) => {
      printListing(await admin.list(queue, { limit: intOption(values.limit, 'limit') }), io);
      return 0;
    },
  },
  show: {
    usage: `dlq show <queue> <message-id> [--limit <n>] ${COMMON_USAGE}`,
    summary: 'one dead letter: properties, headers and body (it stays in the queue)',
    options: { limit: { type: 'string' } },
    positionals: ['queue', 'message-id'],
    run: async (admin, [queue, messageId], values, io) => {
      const details = await admin.show(queue, messageId, { limit: intOption(values.limit, 'limit') });
      io.stdout.write(`Dead letter ${details.messageId} in ${details.queue}\n\nProperties\n`);
      io.stdout.write(formatFields(details.properties));
      io.stdout.write('\nHeaders\n');
      io.stdout.write(formatFields(details.headers));
      io.stdout.write(details.json === undefined ? '\nBody\n' : '\nBody (JSON)\n');
      io.stdout.write(`${details.json === undefined ? details.body : JSON.stringify(details.json, null, 2)}\n`);
      return 0;
    },
  },
  replay: {
    usage: `dlq replay <queue> (--id <message-id> [--id ...] | --all | --error-type <type>) ${COMMON_USAGE}`,
    summary: 'send dead letters back to the queue they failed in, as first attempts',
    options: { id: { type: 'string', multiple: true }, all: { type: 'boolean' }, 'error-type': { type: 'string' } },
    positionals: ['queue'],
    run: async (admin, [queue], values, io) => {
      const progress = new ReplayProgressReporter(io);
      const result = await admin.replay(queue, replaySelector(values), (done, total, replayed) => progress.update(done, total, replayed));
      progress.finish();
      io.stdout.write(`Replayed ${result.replayed} of ${result.examined} dead letters examined in ${result.queue}.\n`);
      if (result.skipped > 0) {
        io.stdout.write(`Left ${result.skipped} in the queue:\n`);
        for (const skip of result.skips) io.stdout.write(`  ${skip.messageId || '(no message id)'}: ${skip.reason}\n`);
      }
      if (result.notFound.length > 0) io.stdout.write(`Not found: ${result.notFound.join(', ')}\n`);
      if (result.interrupted) io.stderr.write(`dlq: stopped early: ${result.interrupted}\n`);
      return result.interrupted || result.notFound.length > 0 ? 1 : 0;
    },
  },
  purge: {
    usage: `dlq purge <queue> [--yes] ${COMMON_USAGE}`,
    summary: 'delete every dead letter of a queue (asks first; --yes to skip the question)',
    options: { yes: { type: 'boolean', short: 'y' } },
    positionals: ['queue'],
    run: async (admin, [queue], values, io) => {
      const { queue: name, messages } = await admin.depth(queue);
      if (messages === 0) {
        io.stdout.write(`${name} is empty; nothing to purge.\n`);
        return 0;
      }
      if (values.yes !== true) {
        if (!io.isTTY) {
          io.stderr.write(`dlq: refusing to purge ${messages} messages from ${name} without a terminal to confirm; add --yes\n`);
          return 1;
        }
        const answer = await ask(io, `Purge ${messages} messages from ${name}? [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) {
          io.stdout.write('Nothing purged.\n');
          return 1;
        }
      }
      io.stdout.write(`Purged ${await admin.purge(name)} messages from ${name}.\n`);
      return 0;
    },
  },
};

const DLQ_USAGE = `Usage: dlq <command> [options]

Commands:
${Object.values(SUBCOMMANDS)
  .map((sub) => `  ${sub.usage}\n      ${sub.summary}`)
  .join('\n')}

${COMMON_HELP}`;

/** Runs `dlq <argv...>` and returns the exit code: 0 done, 1 failed, 2 bad usage. */
export async function runDlqCommand(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(DLQ_USAGE);
    return 0;
  }
  const sub = name === undefined ? undefined : SUBCOMMANDS[name];
  if (!sub) return usageError(io, name === undefined ? 'missing command' : `unknown command "${name}"`, DLQ_USAGE);
  const usage = `Usage: ${sub.usage}\n`;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { ...COMMON, ...sub.options }, allowPositionals: true, strict: true }));
  } catch (error) {
    return usageError(io, firstSentence(error), usage);
  }
  if (values.help === true) {
    io.stdout.write(`${usage}  ${sub.summary}\n\n${COMMON_HELP}`);
    return 0;
  }
  if (positionals.length !== sub.positionals.length) {
    const reason =
      positionals.length < sub.positionals.length
        ? `missing <${sub.positionals[positionals.length]}>`
        : `unexpected argument "${positionals[sub.positionals.length]}"`;
    return usageError(io, reason, usage);
  }
  let connectTimeoutMs: number;
  try {
    connectTimeoutMs = (intOption(values['connect-timeout'], 'connect-timeout') ?? 5) * 1000;
    if (name === 'replay') replaySelector(values);
    intOption(values.limit, 'limit');
  } catch (error) {
    return usageError(io, firstSentence(error), usage);
  }
  return withAdmin(values, connectTimeoutMs, io, (admin) => sub.run(admin, positionals, values, io));
}

/** Starts the library in a Nest application context of its own (no consumers, no logs), and closes it afterwards. */
async function withAdmin(
  values: Values,
  connectTimeoutMs: number,
  io: CommandIo,
  work: (admin: DeadLetterAdmin) => Promise<number>,
): Promise<number> {
  let url: string;
  let app: INestApplicationContext;
  try {
    url = stringOption(values.url) ?? amqpUrlFromEnv() ?? DEFAULT_AMQP_URL;
    // Without --exchange, MessagingModule reads (and checks) AMQP_EXCHANGE itself.
    const exchange = stringOption(values.exchange);
    app = await NestFactory.createApplicationContext(
      MessagingModule.forRoot({
        serviceName: 'dlq-tool',
        consume: false,
        url,
        exchange,
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
      }),
      { logger: false, abortOnError: false },
    );
  } catch (error) {
    if (error instanceof ConfigError) return usageError(io, `config error: ${error.message}`, '');
    io.stderr.write(`dlq: could not start: ${firstSentence(error)}\n`);
    return 1;
  }
  try {
    try {
      await app.get(AmqpConnection).waitForConnect(connectTimeoutMs);
    } catch (error) {
      io.stderr.write(
        `dlq: no connection to the broker at ${redactUrlList(url)} (waited up to ${connectTimeoutMs / 1000} s: ` +
          `${firstSentence(error)}); is it running, and are --url / AMQP_URL right?\n`,
      );
      return 1;
    }
    return await work(app.get(DeadLetterAdmin));
  } catch (error) {
    const known =
      error instanceof DeadLetterQueueNotFoundError ||
      error instanceof NotADeadLetterQueueError ||
      error instanceof DeadLetterNotFoundError ||
      error instanceof InvalidReplaySelectorError;
    io.stderr.write(`dlq: ${known ? (error as Error).message : `failed: ${firstSentence(error)}`}\n`);
    return 1;
  } finally {
    await app.close().catch(() => undefined);
  }
}

function replaySelector(values: Values): ReplaySelector {
  const given: ReplaySelector[] = [];
  if (Array.isArray(values.id)) given.push({ ids: values.id.map(String) });
  if (values.all === true) given.push({ all: true });
  if (typeof values['error-type'] === 'string') given.push({ errorType: values['error-type'] });
  if (given.length !== 1) throw new InvalidReplaySelectorError('give exactly one of --id (repeatable), --all or --error-type');
  return given[0];
}

function printListing(listing: DeadLetterListing, io: CommandIo): void {
  if (listing.total === 0) {
    io.stdout.write(`No dead letters in ${listing.queue}.\n`);
    return;
  }
  const rows = listing.groups.map((g) => [g.errorType, g.messageType, String(g.count), oneLine(g.errorMessage)]);
  const header = ['ERROR TYPE', 'MESSAGE TYPE', 'COUNT', 'ERROR MESSAGE'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : i === 3 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
  io.stdout.write(`Total: ${listing.total} dead letters in ${listing.queue}\n`);
  if (listing.truncated) io.stdout.write(`(grouped the first ${listing.browsed}; raise --limit to look at all)\n`);
}

/** `replayed N of M` lines, or on a terminal and for many messages, one bar redrawn in place. */
class ReplayProgressReporter {
  private bar = false;
  private lastShown = -1;

  constructor(private readonly io: CommandIo) {}

  update(done: number, total: number, replayed: number): void {
    this.bar = this.io.isTTY && total > PROGRESS_BAR_ABOVE;
    if (this.bar) {
      const percent = Math.floor((done / total) * 100);
      if (percent === this.lastShown && done !== total) return;
      this.lastShown = percent;
      const filled = Math.round((done / total) * 30);
      this.io.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${percent}% ${done}/${total} examined, ${replayed} replayed`,
      );
      return;
    }
    const step = total > PROGRESS_BAR_ABOVE ? Math.ceil(total / 20) : 1;
    if (done % step === 0 || done === total) this.io.stderr.write(`replayed ${replayed} of ${total} (${done} examined)\n`);
  }

  finish(): void {
    if (this.bar) this.io.stderr.write('\n');
  }
}

function formatFields(fields: Record<string, unknown>): string {
  const entries = Object.entries(fields);
  if (entries.length === 0) return '  (none)\n';
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries
    .map(([name, value]) => {
      const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : JSON.stringify(value);
      return `  ${name.padEnd(width)}  ${String(text)
        .split('\n')
        .join(`\n  ${' '.repeat(width)}  `)}`;
    })
    .join('\n')
    .concat('\n');
}

async function ask(io: CommandIo, question: string): Promise<string> {
  io.stderr.write(question);
  const reader = createInterface({ input: io.stdin, terminal: false });
  try {
    return await new Promise<string>((resolve) => {
      reader.once('line', resolve);
      reader.once('close', () => resolve(''));
    });
  } finally {
    reader.close();
  }
}

function usageError(io: CommandIo, reason: string, usage: string): number {
  io.stderr.write(`dlq: ${reason}\n${usage}`);
  return 2;
}

function intOption(value: Values[string], name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
  return n;
}

function stringOption(value: Values[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_COLUMN_WIDTH ? `${flat.slice(0, MESSAGE_COLUMN_WIDTH - 1)}…` : flat;
}

function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/\.\s/)[0];
}
