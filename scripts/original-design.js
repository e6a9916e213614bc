// A model of the original Python tool's execution (../shared/reference/original-design-notes.md),
// for the benchmark only: the same plan and the same Stripe work, scheduled the way it was.
// - a pool of 10 worker threads; each sleeps 0.25 s after every call (4 req/s per thread);
// - phase 1: 34 batches (clock, then per customer: customer, subscription) sequential in a batch;
// - each month: all advances through the pool, then ONE loop that checks every pending clock
//   (a retrieve each) until all are ready (a global barrier), then the month's events through the
//   pool, then a snapshot (one subscription list per clock, through the pool).
// Its advance targets are ours (past renewal + 1 h), so both designs do the same billing work.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const THREAD_SLEEP_MS = 250
const WORKERS = 10

async function pool(tasks) {
  const queue = [...tasks]
  await Promise.all(
    Array.from({length: WORKERS}, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await task()
    }),
  )
}

/**
 * One call from a worker thread: the call, then the thread's fixed sleep. Ten threads can burst
 * past 25 req/s; the model then waits a second and tries again, as a Python script with a plain
 * retry on RateLimitError would.
 */
async function call(fn) {
  for (;;) {
    try {
      const result = await fn()
      await sleep(THREAD_SLEEP_MS)
      return result
    } catch (error) {
      if (error?.statusCode !== 429) throw error
      await sleep(1000)
    }
  }
}

export async function runOriginalDesign(stripe, scenario, priceIds) {
  const HOUR = 3600
  const addMonths = (ts, n) => {
    const d = new Date(ts * 1000)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, d.getUTCDate(), d.getUTCHours()) / 1000
  }
  const clockIds = []
  const customerIds = new Map()
  const subs = new Map()

  await pool(
    scenario.clocks.map((clock) => async () => {
      const created = await call(() => stripe.testHelpers.testClocks.create({frozen_time: scenario.startTime, name: `original:${clock.index}`}))
      clockIds[clock.index] = created.id
      for (const index of clock.customers) {
        const planned = scenario.customers[index]
        const customer = await call(() =>
          stripe.customers.create({name: planned.identity.company, email: planned.identity.email, test_clock: created.id, payment_method: 'pm_card_visa', invoice_settings: {default_payment_method: 'pm_card_visa'}}),
        )
        customerIds.set(index, customer.id)
        const sub = await call(() => stripe.subscriptions.create({customer: customer.id, items: [{price: priceIds[planned.plan], quantity: planned.screens}]}))
        subs.set(index, {id: sub.id, itemId: sub.items.data[0].id, periodEnd: sub.items.data[0].current_period_end})
      }
    }),
  )

  let lastMrrCents = 0
  for (let month = 1; month <= scenario.months; month++) {
    const events = scenario.events.filter((e) => e.month === month)
    await pool(
      events
        .filter((e) => e.kind === 'past_due')
        .map((e) => async () => {
          const pm = await call(() => stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customerIds.get(e.customer)}))
          await call(() => stripe.customers.update(customerIds.get(e.customer), {invoice_settings: {default_payment_method: pm.id}}))
        }),
    )
    const target = Math.max(addMonths(scenario.startTime, month), ...[...subs.values()].map((s) => s.periodEnd)) + 2 * HOUR
    await pool(clockIds.map((id) => () => call(() => stripe.testHelpers.testClocks.advance(id, {frozen_time: target}))))
    // The batch-polling loop: every pending clock retrieved in turn, until none is advancing.
    let pending = [...clockIds]
    while (pending.length > 0) {
      const still = []
      for (const id of pending) {
        const clock = await call(() => stripe.testHelpers.testClocks.retrieve(id))
        if (clock.status !== 'ready') still.push(id)
      }
      pending = still
    }
    await pool(
      events
        .filter((e) => e.kind !== 'past_due')
        .map((e) => async () => {
          const sub = subs.get(e.customer)
          if (e.kind === 'cancel') await call(() => stripe.subscriptions.cancel(sub.id))
          else {
            const updated = await call(() => stripe.subscriptions.update(sub.id, {items: [{id: sub.itemId, price: priceIds[e.to.plan], quantity: e.to.screens}], proration_behavior: 'none'}))
            sub.periodEnd = updated.items.data[0].current_period_end
          }
        }),
    )
    let mrr = 0
    await pool(
      clockIds.map((id) => async () => {
        const listed = await call(() => stripe.subscriptions.list({test_clock: id, status: 'all', limit: 100}))
        for (const s of listed.data) {
          const item = s.items.data[0]
          const tracked = [...subs.values()].find((t) => t.id === s.id)
          if (tracked) tracked.periodEnd = item.current_period_end
          if (s.status === 'active' || s.status === 'past_due') mrr += item.price.unit_amount * item.quantity
        }
      }),
    )
    lastMrrCents = mrr
  }
  return {clockIds, lastMrrCents}
}
