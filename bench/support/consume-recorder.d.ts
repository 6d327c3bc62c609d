// Types of consume-recorder.js (counting and timing inside a consumer's handler).
export interface RecordedBody {
  phase: string;
  seq: number;
  sentAt: number;
}
export class ConsumeRecorder {
  constructor(fill: number, latency: number, warmup: number);
  static fromEnv(): ConsumeRecorder;
  record(body: RecordedBody): void;
}
export function epochNowMs(): number;
/** The clock of V8's CPU profiles, in µs: marks the timed part of a --cpu-prof profile. */
export function monotonicUs(): number;
export function percentile(sorted: ArrayLike<number>, p: number): number | null;
