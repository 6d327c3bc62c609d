// Bench: what every request/reply contender does, whatever its framework: after a warm-up, N requests with a fixed
// number in flight (or as many as fit in the time limit), each timed from send to reply; round trips per second, p50 and
// p99 of the round trip, and the worker's CPU per round trip (requester and responder share the process).
// Plain CommonJS so that the peers' own packages can use it as well as the TypeScript workers.
'use strict';
const link = require('./worker-link');
const { monotonicUs, percentile } = require('./consume-recorder');

const round = (ms) => (ms === null ? null : Math.round(ms * 100) / 100);

/**
 * `send(seq)` sends one request and resolves with its reply, which must be `{ seq }` (a reply to another request
 * counts as an error). Emits `ready` after the warm-up and `rpc-done` at the end.
 */
async function driveRequests(send, env = process.env) {
  const count = Number(env.BENCH_COUNT);
  const inFlight = Number(env.BENCH_IN_FLIGHT);
  const until = () => started + Number(env.BENCH_SECONDS) * 1000;
  let errors = 0;
  const ask = async (seq) => {
    const reply = await send(seq);
    if (!reply || reply.seq !== seq) throw new Error(`reply ${JSON.stringify(reply)} to request ${seq}`);
  };
  // Channels open, code paths warm: as a running service would be.
  for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => ask(count + i + j)));
  link.emit('ready', link.memory());

  const latencies = new Float64Array(count);
  let next = 0;
  let done = 0;
  const windowStart = monotonicUs();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const lane = async () => {
    while (next < count && performance.now() < until()) {
      const seq = next++;
      const sent = performance.now();
      try {
        await ask(seq);
        latencies[done++] = performance.now() - sent;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const sorted = latencies.slice(0, done).sort();
  link.emit('rpc-done', {
    count: done,
    errors,
    ms: round(ms),
    perSecond: Math.round((done / ms) * 1000),
    cpuUsPerMessage: done > 0 ? round((used.user + used.system) / done) : null,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    windowUs: [windowStart, monotonicUs()],
    ...link.memory(),
  });
}

module.exports = { driveRequests };
