// Entry point of the project's command-line tools: `node dist/src/main.js <command> [args]`.
// Each command is one entry of COMMANDS: a function from (argv, io) to an exit code. The .env file (or ENV_FILE) is
// read first, as the services do; a configuration error ends the command with one line and exit code 2.
import { ConfigError } from '@app/messaging';
import { loadEnvFile } from '@app/service-kit';
import { runDemoCommand } from './demo/demo-command';
import { runDlqCommand, type CommandIo } from './dlq/dlq-command';

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  demo: { run: runDemoCommand, summary: 'start both sample services, place orders, show what happened' },
  dlq: { run: runDlqCommand, summary: 'list, show, replay and purge dead-letter queues' },
};

const USAGE = `Usage: node dist/src/main.js <command> [args]   (<command> --help for more)

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`)
  .join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  const io: CommandIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  };
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    io.stdout.write(USAGE);
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    io.stderr.write(`${name === undefined ? 'missing command' : `unknown command "${name}"`}\n${USAGE}`);
    return 2;
  }
  try {
    loadEnvFile();
    return await command.run(rest, io);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`${name}: config error: ${error.message}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
