// Exponential wait between reconnect attempts, with equal jitter (half fixed, half random); the first attempt after a good connection is immediate.

export class ReconnectBackoff {
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private release?: () => void;
  private cancelled = false;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Upper bound of the next wait. */
  get nextDelayMs(): number {
    return this.attempt === 0 ? 0 : Math.min(this.maxMs, this.initialMs * 2 ** (this.attempt - 1));
  }

  /** Waits before the next attempt (not at all before the first) and counts it. */
  async wait(): Promise<void> {
    const cap = this.nextDelayMs;
    this.attempt++;
    if (cap === 0 || this.cancelled) return;
    const delay = Math.round(cap / 2 + (this.random() * cap) / 2);
    await new Promise<void>((resolve) => {
      this.release = resolve;
      this.timer = setTimeout(resolve, delay);
    });
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Ends a wait in progress (on close), so that nothing keeps the process alive. */
  cancel(): void {
    this.cancelled = true;
    clearTimeout(this.timer);
    this.release?.();
  }
}
