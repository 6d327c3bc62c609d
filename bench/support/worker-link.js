// Bench: the worker's end of the line protocol with the bench that spawned it. The worker reports events as
// `@bench {"event":...}` lines on stdout; the bench writes commands (`go`, `stop`) on the worker's stdin.
// Plain CommonJS so that the peers' own packages can use it as well as the TypeScript workers.
'use strict';
const readline = require('node:readline');

const PREFIX = '@bench ';
/** A worker never outlives its stop by more than this, whatever its shutdown does. */
const STOP_LIMIT_MS = 10_000;

let stopHandler = async () => undefined;
/** Handlers of the bench's other commands (`cutoff`...), by name. */
const handlers = new Map();
let stopping = false;
let resolveGo = () => undefined;
const go = new Promise((resolve) => (resolveGo = resolve));

function emit(event, data = {}) {
  process.stdout.write(`${PREFIX}${JSON.stringify({ event, ...data })}\n`);
}

function memory() {
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: Math.round((rss / 1048576) * 10) / 10, heapUsedMb: Math.round((heapUsed / 1048576) * 10) / 10 };
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code || 1), STOP_LIMIT_MS).unref();
  try {
    await stopHandler();
  } catch (error) {
    process.stderr.write(`stop failed: ${error && error.stack ? error.stack : String(error)}\n`);
  }
  process.exit(code);
}

/** Listens for the bench's commands; from the first loaded() on, so that merely requiring this file changes nothing. */
function listen() {
  const commands = readline.createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const command = line.trim();
    if (command === 'go') resolveGo();
    else if (command === 'stop') void stop(0);
    else handlers.get(command)?.();
  });
  // The bench went away (crash, kill -9): stop rather than consume on, unseen.
  commands.on('close', () => void stop(0));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(130));
}

/** Says the worker has loaded its code; resolves when the bench says go (so loading overlaps the bench's own work). */
function loaded() {
  listen();
  emit('loaded', memory());
  return go;
}

/** What to close on stop (connections, the Nest application). */
function onStop(handler) {
  stopHandler = handler;
}

/** Runs `handler` when the bench sends `command`. */
function on(command, handler) {
  handlers.set(command, handler);
}

function fail(error) {
  emit('failed', { reason: error instanceof Error ? error.message : String(error) });
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  void stop(1);
}

module.exports = { emit, loaded, onStop, on, memory, fail };
