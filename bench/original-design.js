// A model of the original Python tool's execution (/work/shared/reference/original-design-notes.md
// and the facts issue 13 took from its source), for the benchmark only: the same plan and the same
// Stripe writes, scheduled the way the original scheduled them.
// - a pool of 10 worker threads; a thread sleeps 0.25 s after each of its calls (4 req/s a thread);
// - every phase is one pool.map and so a barrier: cleanup, creation (34 batches: clock, then per
//   customer a customer and a subscription, sequential in the batch), then each month: past-due
//   cards, all advances, the wait, the month's events;
// - the wait: every pending clock retrieved in parallel through the pool, then 5 s of sleep if any
//   is still advancing, and again;
// - each advance goes to exactly one month after the last (not past the renewal invoice's draft
//   hour);
// - snapshots come from its own records: no list calls;
// - no 429 handling: a rate-limited request raises and ends the run. Run it with the emulator's
//   rate limit off and count the 429s it would have met (analysis.js: wouldBeRateLimited).

import {addIntervals} from '../dist/billing-time.js'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export const WORKERS = 10
export const THREAD_SLEEP_MS = 250
export const WAIT_LOOP_SLEEP_MS = 5000

/** ThreadPoolExecutor.map: `WORKERS` threads take the tasks in order; returns when all are done. */
async function pool(items, task) {
  const results = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(WORKERS, items.length)}, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await task(items[index])
      }
    }),
  )
  return results
}

/** One call from a thread: the call, then the thread's fixed sleep. Any error (a 429 included) propagates. */
async function call(fn) {
  const result = await fn()
  await sleep(THREAD_SLEEP_MS)
  return result
}

/** Runs the plan the original's way; `phases` records how long each barrier-separated phase took. */
export async function runOriginalDesign(stripe, scenario, priceIds) {
  const phases = []
  const timed = async (name, month, body) => {
    const started = Date.now()
    const result = await body()
    phases.push({name, month, seconds: (Date.now() - started) / 1000})
    return result
  }
  const unitAmount = Object.fromEntries(scenario.plans.map((plan) => [plan.key, plan.unitAmount]))

  // Cleanup: its own clocks from an earlier run, deleted through the pool (none on a fresh account).
  await timed('cleanup', 0, async () => {
    const old = []
    for await (const clock of stripe.testHelpers.testClocks.list({limit: 100})) old.push(clock.id)
    await pool(old, (id) => call(() => stripe.testHelpers.testClocks.del(id)))
  })

  // Its records: what it created and changed, the source of every snapshot.
  const records = new Map()
  const clockIds = await timed('create', 0, () =>
    pool(scenario.clocks, async (clock) => {
      const created = await call(() =>
        stripe.testHelpers.testClocks.create({frozen_time: scenario.startTime, name: `original:${clock.index}`}),
      )
      for (const index of clock.customers) {
        const planned = scenario.customers[index]
        const customer = await call(() =>
          stripe.customers.create({
            name: planned.identity.company,
            email: planned.identity.email,
            test_clock: created.id,
            payment_method: 'pm_card_visa',
            invoice_settings: {default_payment_method: 'pm_card_visa'},
          }),
        )
        const sub = await call(() =>
          stripe.subscriptions.create({
            customer: customer.id,
            items: [{price: priceIds[planned.plan], quantity: planned.screens}],
          }),
        )
        records.set(index, {
          customerId: customer.id,
          subscriptionId: sub.id,
          itemId: sub.items.data[0].id,
          plan: planned.plan,
          screens: planned.screens,
          active: true,
        })
      }
      return created.id
    }),
  )

  const mrrByMonth = []
  let waitPasses = 0
  for (let month = 1; month <= scenario.months; month++) {
    const events = scenario.events.filter((e) => e.month === month)
    const pastDue = events.filter((e) => e.kind === 'past_due')
    if (pastDue.length > 0) {
      await timed('past-due cards', month, () =>
        pool(pastDue, async (e) => {
          const customerId = records.get(e.customer).customerId
          const card = await call(() =>
            stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customerId}),
          )
          await call(() => stripe.customers.update(customerId, {invoice_settings: {default_payment_method: card.id}}))
        }),
      )
    }
    const target = addIntervals(scenario.startTime, 'month', month)
    await timed('advance', month, () =>
      pool(clockIds, (id) => call(() => stripe.testHelpers.testClocks.advance(id, {frozen_time: target}))),
    )
    await timed('wait', month, async () => {
      for (let pending = clockIds; ;) {
        waitPasses++
        const clocks = await pool(pending, (id) => call(() => stripe.testHelpers.testClocks.retrieve(id)))
        pending = clocks.filter((clock) => clock.status !== 'ready').map((clock) => clock.id)
        if (pending.length === 0) break
        await sleep(WAIT_LOOP_SLEEP_MS)
      }
    })
    const changes = events.filter((e) => e.kind !== 'past_due')
    if (changes.length > 0) {
      await timed('events', month, () =>
        pool(changes, async (e) => {
          const record = records.get(e.customer)
          if (e.kind === 'cancel') {
            await call(() => stripe.subscriptions.cancel(record.subscriptionId))
            record.active = false
            return
          }
          await call(() =>
            stripe.subscriptions.update(record.subscriptionId, {
              items: [{id: record.itemId, price: priceIds[e.to.plan], quantity: e.to.screens}],
              proration_behavior: 'none',
            }),
          )
          Object.assign(record, {plan: e.to.plan, screens: e.to.screens})
        }),
      )
    }
    // The snapshot: its own records, no request.
    mrrByMonth.push(
      [...records.values()].filter((r) => r.active).reduce((sum, r) => sum + unitAmount[r.plan] * r.screens, 0),
    )
  }
  return {clockIds, lastMrrCents: mrrByMonth.at(-1) ?? 0, mrrByMonth, phases, waitPasses}
}
