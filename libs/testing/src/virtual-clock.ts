// The time of the in-memory transport: delayed deliveries wait on it, and it moves only when a test advances it.
// Nothing sleeps: advancing runs what fell due, in the order it fell due.

interface Timer {
  at: number;
  seq: number;
  run: () => void;
}

export class VirtualClock {
  private current = 0;
  private seq = 0;
  private timers: Timer[] = [];

  /** Milliseconds since the harness started. */
  get now(): number {
    return this.current;
  }

  /** Runs `run` when the clock reaches `at` (timers due at the same time run in the order they were set). */
  schedule(at: number, run: () => void): void {
    this.timers.push({ at: Math.max(at, this.current), seq: this.seq++, run });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    return this.timers[0]?.at;
  }

  /** How many timers wait. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves the clock to `at` (never back) and runs the timers due by then; returns how many ran. */
  moveTo(at: number): number {
    this.current = Math.max(this.current, at);
    let ran = 0;
    while (this.timers.length > 0 && this.timers[0].at <= this.current) {
      this.timers.shift()!.run();
      ran++;
    }
    return ran;
  }
}
