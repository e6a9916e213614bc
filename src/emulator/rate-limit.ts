/**
 * Stripe's request limiter is a token bucket (SB-6): requests spend tokens that refill at the
 * limit's rate, so a short burst within the bucket's size goes through where a sliding window
 * would refuse it. Stripe does not publish the bucket's size; one second's worth is our choice.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly perSecond: number,
    private readonly size: number,
    now: number,
  ) {
    this.tokens = size
    this.last = now
  }

  /** Takes a token at `now` (ms); false when the bucket is empty. */
  take(now: number): boolean {
    this.tokens = Math.min(this.size, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
