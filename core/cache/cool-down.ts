/**
 * A minimal circuit breaker: after a failure, stay away for a fixed time. A dead backend then
 * costs nothing per request instead of one failed command (or a timeout) each.
 */
export class CoolDown {
  readonly #durationMs: number;
  readonly #now: () => number;
  #blockedUntil = 0;

  constructor(durationMs: number, now: () => number = Date.now) {
    this.#durationMs = durationMs;
    this.#now = now;
  }

  /** Records a failure: `active` is true for the next `durationMs`. */
  trip(): void {
    this.#blockedUntil = this.#now() + this.#durationMs;
  }

  get active(): boolean {
    return this.#now() < this.#blockedUntil;
  }
}
