import {randomUUID} from 'node:crypto'
import type Stripe from 'stripe'

import type {SchedulerSettings} from '../config/schema.js'
import {maskKey} from '../secrets.js'
import {STRIPE_API_BASE, createStripeClient} from './client.js'
import {type StripeContext} from './errors.js'
import {RequestScheduler, type SchedulerStats} from './scheduler.js'

export interface GatewayOptions {
  apiKey: string
  apiBase?: string
  scheduler: SchedulerSettings
  sleep?: (ms: number) => Promise<void>
}

export interface RequestCounts extends SchedulerStats {
  /** HTTP requests actually sent, retries included. */
  sent: number
  /** Every request sent again: ours, and the one resend stripe-node makes of a closed connection even with its retries off. */
  retries: number
}

/**
 * The Stripe service layer: one SDK client and one scheduler. Every call names its lane; every
 * write carries an idempotency key (SB-5), deterministic when the caller derives one
 * from the run and the step, so a retried or resumed step cannot create a second object (SB-5).
 */
export class StripeGateway {
  readonly stripe: Stripe
  readonly scheduler: RequestScheduler
  readonly context: StripeContext
  private sent = 0

  constructor(options: GatewayOptions) {
    this.stripe = createStripeClient({apiKey: options.apiKey, apiBase: options.apiBase})
    this.scheduler = new RequestScheduler(options.scheduler, {sleep: options.sleep})
    this.context = {apiBase: options.apiBase ?? STRIPE_API_BASE, maskedKey: maskKey(options.apiKey)}
    // eslint-disable-next-line @typescript-eslint/no-unsafe-call -- stripe-node types `on` as any
    this.stripe.on('request', () => {
      this.sent++
    })
  }

  read<T>(lane: string, request: (stripe: Stripe) => Promise<T>, priority?: number): Promise<T> {
    return this.scheduler.run(lane, () => request(this.stripe), priority)
  }

  write<T>(
    lane: string,
    idempotencyKey: string | undefined,
    request: (stripe: Stripe, options: Stripe.RequestOptions) => Promise<T>,
    priority?: number,
  ): Promise<T> {
    const options: Stripe.RequestOptions = {idempotencyKey: idempotencyKey ?? `stripe-seed-${randomUUID()}`}
    return this.scheduler.run(lane, () => request(this.stripe, options), priority)
  }

  counts(): RequestCounts {
    const bySdk = Math.max(0, this.sent - this.scheduler.attempts)
    return {...this.scheduler.stats, sent: this.sent, retries: this.scheduler.stats.retries + bySdk}
  }

  async close(): Promise<void> {
    await this.scheduler.stop()
  }
}
