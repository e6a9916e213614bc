import Stripe from 'stripe'

import {HOUR, addIntervals} from '../billing-time.js'
import {ClockFailure, type ClockWatcher} from '../clocks/watcher.js'
import type {Config} from '../config/schema.js'
import {BugError, RunInterrupted, errorMessage} from '../errors.js'
import type {PricesFile} from '../files/formats.js'
import type {PlannedClock, PlannedEvent, Scenario} from '../scenario/plan.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after, listAll} from '../stripe/pagination.js'
import {type ClockState, type PlanOfPrice, applyEntry, eventKey, isActive, lastMonthRead} from './clock-state.js'
import type {ClockEntry, ClockStep, Journal, SubscriptionState} from './journal.js'
import type {RunProgress} from './progress.js'

/** The card whose charges always fail once attached (stripe-facts #24). */
export const FAILING_CARD = 'pm_card_chargeCustomerFail'
const FAILING_CARD_LAST4 = '0341'
export const GOOD_CARD = 'pm_card_visa'
/** Renewal invoices stay draft about an hour (#31); we pass that hour and one more for safety. */
export const RENEWAL_SETTLE_SECONDS = 2 * HOUR

export interface PipelineContext {
  gateway: StripeGateway
  watcher: ClockWatcher
  journal: Journal
  progress: RunProgress
  scenario: Scenario
  prices: PricesFile
  config: Config
  advanceTimeoutMs: number
  signal: AbortSignal
  planOf: PlanOfPrice
  /**
   * Set on a resumed run: the step in flight when it stopped may have happened without being
   * journaled, so Stripe is asked before anything is created again.
   */
  resume?: {
    /** Clocks in the account by name: a clock created but not journaled is adopted, not created twice. */
    clocksByName: Map<string, string>
    /** Idempotency keys may be pruned after 24 hours (#17): then objects are looked for in Stripe too. */
    keysMayBePruned: boolean
  }
}

/** A failure of this clock in Stripe (after every retry): the clock is given up, the run goes on. */
export function isClockFailure(error: unknown): boolean {
  return error instanceof ClockFailure || error instanceof Stripe.errors.StripeError
}

export function clockName(clock: PlannedClock, attempt: number): string {
  return attempt > 1 ? `${clock.name}:r${attempt}` : clock.name
}

/**
 * One clock's whole life on its own lane: create it with its customers and subscriptions, then
 * month after month advance, wait, apply events, read back. Every step is journaled as it
 * completes and applied to the clock's state through the same entry, so a resumed run continues
 * from exactly what the journal says. Every write's idempotency key is made of run id + clock +
 * attempt + month + customer + action, so a retried or resumed step cannot create a second object.
 * Returns when the clock is done or given up; rethrows interrupts and anything that is not Stripe's.
 */
export async function runClock(ctx: PipelineContext, clock: PlannedClock, state: ClockState, events: PlannedEvent[]): Promise<ClockState> {
  const {gateway, scenario, prices, config, progress} = ctx
  const attempt = state.attempt
  const lane = `clock:${clock.index}`
  const key = (month: number, customer: number | '-', action: string) => `stripe-seed:${scenario.runId}:c${clock.index}${attempt > 1 ? `:a${attempt}` : ''}:m${month}:u${customer}:${action}`
  const commit = async (step: ClockStep) => {
    const entry = {...step, clock: clock.index, attempt} as ClockEntry
    await ctx.journal.append(entry)
    applyEntry(state, entry, ctx.planOf)
  }
  // Only the first step after a resume can have happened unjournaled; later ones run as usual.
  let verify = ctx.resume !== undefined
  let phase = 'create'

  try {
    if (lastMonthRead(state) < 0) {
      const name = clockName(clock, attempt)
      if (!state.clockId) {
        const adopted = verify ? ctx.resume?.clocksByName.get(name) : undefined
        const clockId =
          adopted ??
          (await gateway.write<string>(lane, key(0, '-', 'clock'), (stripe, opts) => stripe.testHelpers.testClocks.create({frozen_time: scenario.startTime, name}, opts).then((created) => created.id), 0))
        await commit({type: 'clock', clock_id: clockId})
      }
      const clockId = state.clockId!
      const missing = clock.customers.some((c) => !state.created.has(c))
      const found = verify && missing ? await findClockObjects(ctx, lane, clockId, ctx.resume!.keysMayBePruned) : undefined
      verify = false
      for (const index of clock.customers) {
        const planned = scenario.customers[index]!
        if (!state.customerIds.has(index)) {
          const customerId =
            found?.customers.get(index) ??
            (await gateway.write<string>(lane, key(0, index, 'customer'), (stripe, opts) =>
              stripe.customers
                .create(
                  {
                    name: planned.identity.company,
                    email: planned.identity.email,
                    description: `Contact: ${planned.identity.contactName}`,
                    metadata: {...planned.metadata, contact_name: planned.identity.contactName},
                    test_clock: clockId,
                    // The token named twice is one card, attached and made the invoice default (#23).
                    payment_method: GOOD_CARD,
                    invoice_settings: {default_payment_method: GOOD_CARD},
                  },
                  opts,
                )
                .then((customer) => customer.id),
              0,
            ))
          await commit({type: 'customer', customer: index, customer_id: customerId})
        }
        if (!state.created.has(index)) {
          const customerId = state.customerIds.get(index)!
          const subscription =
            found?.subscriptions.get(customerId) ??
            (await gateway.write<SubscriptionState>(lane, key(0, index, 'subscription'), (stripe, opts) =>
              stripe.subscriptions.create({customer: customerId, items: [{price: priceOf(prices, planned.plan), quantity: planned.screens}], metadata: planned.metadata}, opts).then(toState),
              0,
            ))
          await commit({type: 'subscription', customer: index, subscription})
        }
      }
      await commit({type: 'month', month: 0, frozen_time: scenario.startTime, subscriptions: clock.customers.map((c) => state.created.get(c)!)})
      progress.tick('create')
    }

    for (let month = lastMonthRead(state) + 1; month <= scenario.months; month++) {
      phase = `month ${month}`
      const checkStripe = verify
      verify = false
      const clockId = state.clockId!
      const monthEvents = events.filter((event) => event.month === month)
      // Past-due: the failing card becomes the default before this month's renewal (#24, #27).
      for (const event of monthEvents.filter((e) => e.kind === 'past_due' && !state.eventsDone.has(eventKey(month, e.customer)))) {
        const customerId = state.customerIds.get(event.customer)!
        const inPlace = checkStripe && ctx.resume!.keysMayBePruned ? await failingCardInPlace(gateway, lane, customerId) : undefined
        let cardId = inPlace
        if (!cardId) {
          const attached = await gateway.write(lane, key(month, event.customer, 'attach-failing-card'), (stripe, opts) => stripe.paymentMethods.attach(FAILING_CARD, {customer: customerId}, opts).then((card) => card.id), month)
          await gateway.write(lane, key(month, event.customer, 'default-failing-card'), (stripe, opts) => stripe.customers.update(customerId, {invoice_settings: {default_payment_method: attached}}, opts).then(() => undefined), month)
          cardId = attached
        }
        await commit({type: 'event', month, customer: event.customer, kind: 'past_due', detail: `default card → ${FAILING_CARD} (${cardId})`})
      }

      if (!state.advanced.has(month)) {
        // Past every renewal of this month, and the hour its invoice stays draft (#31). A free→paid
        // change moved its subscription's anchor (#29), so each subscription's own period end counts.
        const live = [...state.tracked.values()].filter((s) => isActive(s.status))
        const target = Math.max(addIntervals(scenario.startTime, 'month', month), ...live.map((s) => s.periodEnd)) + RENEWAL_SETTLE_SECONDS
        const underway = checkStripe ? await gateway.read(lane, (stripe) => stripe.testHelpers.testClocks.retrieve(clockId).then((c) => c.status === 'advancing' || c.frozen_time >= target), month) : false
        if (!underway) await gateway.write(lane, key(month, '-', 'advance'), (stripe, opts) => stripe.testHelpers.testClocks.advance(clockId, {frozen_time: target}, opts).then(() => undefined), month)
        await commit({type: 'advanced', month, target})
      }
      progress.start(phase)
      const {frozenTime} = await ctx.watcher.waitUntilReady(clockId, state.advanced.get(month)!, ctx.advanceTimeoutMs, ctx.signal)

      const pending = monthEvents.filter((e) => e.kind !== 'past_due' && !state.eventsDone.has(eventKey(month, e.customer)))
      // What Stripe holds now, for events that may have been applied without being journaled.
      const now = checkStripe && pending.length > 0 ? bySubscription(await listClockSubscriptions(gateway, lane, clockId, month)) : undefined
      for (const event of pending) {
        const sub = state.tracked.get(event.customer)
        if (!sub || !isActive(sub.status)) continue // Stripe already ended it
        const current = now?.get(sub.id)
        if (event.kind === 'cancel') {
          const canceled = current && !isActive(current.status) ? current : await cancelSubscription(gateway, lane, sub.id, key(month, event.customer, 'cancel'), month)
          await commit({type: 'event', month, customer: event.customer, kind: 'cancel', detail: `${event.from.plan} × ${event.from.screens} canceled`, subscription: canceled})
          continue
        }
        const to = event.to!
        const priceId = priceOf(prices, to.plan)
        const updated =
          current && current.priceId === priceId && current.quantity === to.screens
            ? current
            : // Update the existing item by id: without it Stripe would add a second item (#28).
              await gateway.write(lane, key(month, event.customer, event.kind), (stripe, opts) =>
                stripe.subscriptions.update(sub.id, {items: [{id: sub.itemId, price: priceId, quantity: to.screens}], proration_behavior: config.prorationBehavior}, opts).then(toState),
                month,
              )
        await commit({type: 'event', month, customer: event.customer, kind: event.kind, detail: `${event.from.plan} × ${event.from.screens} → ${to.plan} × ${to.screens}`, subscription: updated})
      }

      // The snapshot is what Stripe says, not what we meant (#10: the clock must be named).
      const listed = await listClockSubscriptions(gateway, lane, clockId, month)
      await commit({type: 'month', month, frozen_time: frozenTime, subscriptions: listed})
      progress.tick(phase)
    }
  } catch (error) {
    if (error instanceof RunInterrupted || !isClockFailure(error)) throw error
    await commit({type: 'clock_failed', reason: errorMessage(error)})
    progress.fail(phase, clock.name)
  }
  return state
}

/**
 * Cancels a subscription. Cancel is a DELETE, and DELETE ignores idempotency keys (stripe-facts
 * #17): when a cancel went through but its answer was lost, the retry is refused. Stripe's state
 * then says whether it went through.
 */
async function cancelSubscription(gateway: StripeGateway, lane: string, subscriptionId: string, idempotencyKey: string, priority: number): Promise<SubscriptionState> {
  try {
    return await gateway.write(lane, idempotencyKey, (stripe, opts) => stripe.subscriptions.cancel(subscriptionId, {}, opts).then(toState), priority)
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError) || error.statusCode === undefined || error.statusCode >= 500) throw error
    const now = await gateway.read(lane, (stripe) => stripe.subscriptions.retrieve(subscriptionId).then(toState), priority)
    if (isActive(now.status)) throw error
    return now
  }
}

/** The clock's customers and subscriptions Stripe already holds, by our metadata (#10: named by clock). */
async function findClockObjects(ctx: PipelineContext, lane: string, clockId: string, listCustomers: boolean): Promise<{customers: Map<number, string>; subscriptions: Map<string, SubscriptionState>}> {
  const runId = ctx.scenario.runId
  const customers = new Map<number, string>()
  const subscriptions = new Map<string, SubscriptionState>()
  const subs = await listAll(
    (startingAfter) => ctx.gateway.read(lane, (stripe) => stripe.subscriptions.list({test_clock: clockId, status: 'all', limit: 100, ...after(startingAfter)}), 0),
    (sub) => ({state: toState(sub), metadata: sub.metadata}),
  )
  for (const {state, metadata} of subs) {
    if (metadata.stripe_seed_run !== runId) continue
    subscriptions.set(state.customerId, state)
    customers.set(Number(metadata.stripe_seed_customer), state.customerId)
  }
  // A customer whose subscription was never made; within a day its creation key replays it instead.
  if (listCustomers) {
    const found = await listAll(
      (startingAfter) => ctx.gateway.read(lane, (stripe) => stripe.customers.list({test_clock: clockId, limit: 100, ...after(startingAfter)}), 0),
      (customer) => ({id: customer.id, metadata: customer.metadata}),
    )
    for (const customer of found) if (customer.metadata.stripe_seed_run === runId) customers.set(Number(customer.metadata.stripe_seed_customer), customer.id)
  }
  return {customers, subscriptions}
}

/** The failing card's id if it is already the customer's default (a past-due step done but not journaled). */
async function failingCardInPlace(gateway: StripeGateway, lane: string, customerId: string): Promise<string | undefined> {
  const customer = await gateway.read(lane, (stripe) => stripe.customers.retrieve(customerId, {expand: ['invoice_settings.default_payment_method']}))
  if (customer.deleted) return undefined
  const card = customer.invoice_settings.default_payment_method
  return card && typeof card !== 'string' && card.card?.last4 === FAILING_CARD_LAST4 ? card.id : undefined
}

function bySubscription(subscriptions: SubscriptionState[]): Map<string, SubscriptionState> {
  return new Map(subscriptions.map((sub) => [sub.id, sub]))
}

export function toState(sub: Stripe.Subscription): SubscriptionState {
  const item = sub.items.data[0]
  if (!item) throw new BugError(`Subscription ${sub.id} has no items`)
  return {
    id: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    itemId: item.id,
    priceId: item.price.id,
    unitAmount: item.price.unit_amount ?? 0,
    quantity: item.quantity ?? 1,
    periodEnd: item.current_period_end,
    status: sub.status,
    ...(item.price.metadata.stripe_seed_plan ? {planHint: item.price.metadata.stripe_seed_plan} : {}),
  }
}

function listClockSubscriptions(gateway: StripeGateway, lane: string, clockId: string, priority: number): Promise<SubscriptionState[]> {
  return listAll((startingAfter) => gateway.read(lane, (stripe) => stripe.subscriptions.list({test_clock: clockId, status: 'all', limit: 100, ...after(startingAfter)}), priority), toState)
}

function priceOf(prices: PricesFile, plan: string): string {
  const id = prices.price_ids[plan]
  if (!id) throw new BugError(`stripe_prices.json has no price for plan "${plan}" (checked before the run)`)
  return id
}
