import {groupBy} from '../group-by.js'
import {bar, mrrChart} from '../render/chart.js'
import {formatDuration} from '../render/duration.js'
import {formatMoney} from '../render/money.js'
import {formatTable} from '../render/table.js'
import type {RunEstimate} from './estimate.js'
import type {BaseEventKind, PlannedEvent, Scenario} from './plan.js'

/** The human view of a plan: distribution, event calendar, expected MRR, clocks and cost. */
export function renderScenario(scenario: Scenario, estimate: RunEstimate): string {
  const out: string[] = []
  const planName = new Map(scenario.plans.map((plan) => [plan.key, plan.name]))
  out.push(
    `Plan for ${scenario.customers.length} customers over ${scenario.months} months (seed ${scenario.seed}, run ${scenario.runId})`,
    '',
  )
  out.push(
    formatTable(
      ['Plan', 'Per screen/mo', 'Screens', 'Customers'],
      scenario.plans.map((plan) => [
        plan.name,
        formatMoney(plan.unitAmount, plan.currency),
        `${plan.screens.min}–${plan.screens.max}`,
        scenario.distribution[plan.key] ?? 0,
      ]),
      ['left', 'right', 'right', 'right'],
    ),
    '',
  )
  out.push('Events by month')
  const kinds = ['upgrade', 'downgrade', 'cancel', 'past_due'] as const
  out.push(
    formatTable(
      ['Month', 'Upgrades', 'Downgrades', 'Cancellations', 'Past due'],
      [
        ...Array.from({length: scenario.months}, (_, i) => {
          const month = i + 1
          const events = scenario.events.filter((event) => event.month === month)
          return [
            `${month} (${scenario.expected[month]?.label})`,
            ...kinds.map((kind) => events.filter((event) => event.kind === kind).length),
          ]
        }),
        ['total', ...kinds.map((kind) => scenario.eventCounts[kind])],
      ],
      ['left', 'right', 'right', 'right', 'right'],
    ),
    '',
  )
  if (scenario.featureCounts) out.push(...renderFeatures(scenario), '')
  else {
    out.push('Expected MRR (active + past_due, free plans carry none)')
    out.push(
      ...mrrChart(
        scenario.expected.map((month) => ({month: month.label, mrr: month.mrrCents})),
        scenario.reportingCurrency ?? scenario.plans[0]?.currency ?? 'usd',
      ),
    )
    out.push('')
  }
  const perClock = scenario.customersPerClock
  out.push(
    `Test clocks: ${scenario.clocks.length} (${perClock} customers each${scenario.customers.length % perClock ? `, the last ${scenario.customers.length % perClock}` : ''})`,
  )
  out.push(`API requests: about ${estimate.requests} (${estimate.requestsPerCustomer.toFixed(1)} per customer)`)
  out.push(
    `Run time: at least ${formatDuration(estimate.seconds)} (requests alone ${formatDuration(estimate.requestBoundSeconds)}; one clock's lane ${formatDuration(estimate.laneBoundSeconds)} assuming ${estimate.assumedAdvanceSeconds}s per advance)`,
  )
  const sample = scenario.events.filter((event) => event.at === undefined).slice(0, 8)
  if (sample.length > 0) {
    out.push('', 'First events')
    for (const event of sample) {
      const who = scenario.customers[event.customer]!.identity.company
      const what = event.to
        ? `${planName.get(event.from.plan)} × ${event.from.screens} → ${planName.get(event.to.plan)} × ${event.to.screens}`
        : `${planName.get(event.from.plan)} × ${event.from.screens}`
      out.push(`  month ${event.month}  ${event.kind.padEnd(9)}  #${event.customer} ${who}: ${what}`)
    }
  }
  return out.join('\n')
}

const BASE_KINDS: readonly BaseEventKind[] = ['upgrade', 'downgrade', 'cancel', 'past_due']
const TIMED_LABELS: Record<string, string> = {
  mid_cycle_upgrade: 'mid-cycle upgrade',
  mid_cycle_downgrade: 'mid-cycle downgrade',
  to_yearly: 'to yearly',
  seat_growth: 'seats',
  cancel_at_period_end: 'cancel at period end',
  subscription_end: 'period end: canceled',
  reactivation: 'reactivation',
  discount: 'discount',
  trial_end: 'trial end',
  addon_added: 'add-on added',
  addon_removed: 'add-on removed',
}
/** Timed events listed one per line at most; --json has them all. */
const TIMED_LINES = 40

/** The scenario features: who has which terms, the event calendar with its days, and the expected MRR per currency. */
function renderFeatures(scenario: Scenario): string[] {
  const out: string[] = []
  const tally = (values: string[]) =>
    [...values.reduce((map, value) => map.set(value, (map.get(value) ?? 0) + 1), new Map<string, number>())].sort(
      (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
    )
  const terms = scenario.customers.map((c) => c.terms!)
  const rows: Array<[string, string, number]> = [
    ...tally(terms.map((t) => (t.interval === 'year' ? 'yearly' : 'monthly'))).map(
      ([value, n]): [string, string, number] => ['Interval', value, n],
    ),
    ...tally(terms.map((t) => t.currency.toUpperCase())).map(([value, n]): [string, string, number] => [
      'Currency',
      value,
      n,
    ]),
    ...tally(
      terms.map((t) =>
        t.trial
          ? `${t.trial.days}-day trial, ${t.trial.outcome === 'converts' ? 'converts' : 'no payment method: canceled'}`
          : 'no trial',
      ),
    ).map(([value, n]): [string, string, number] => ['Trial', value, n]),
    ...tally(
      terms.map((t) =>
        t.coupon
          ? `${t.coupon.id}${t.coupon.via === 'promotion_code' ? ' (promotion code)' : ''}${t.coupon.month > 0 ? `, from month ${t.coupon.month}` : ''}`
          : 'none',
      ),
    ).map(([value, n]): [string, string, number] => ['Coupon', value, n]),
  ]
  out.push('', 'Customers by terms', formatTable(['', '', 'Customers'], rows, ['left', 'left', 'right']), '')

  const kinds = [...BASE_KINDS, ...Object.keys(TIMED_LABELS)].filter((kind) =>
    scenario.events.some((event) => event.kind === kind),
  )
  out.push("Event calendar (boundary events at the month's start; the others on the day shown, noon UTC)")
  out.push(
    formatTable(
      ['Month', ...kinds.map((kind) => TIMED_LABELS[kind] ?? kind.replace('_', ' '))],
      Array.from({length: scenario.months}, (_, i) => {
        const month = i + 1
        const events = scenario.events.filter((event) => event.month === month)
        return [
          `${month} (${scenario.expected[month]?.label})`,
          ...kinds.map((kind) => events.filter((event) => event.kind === kind).length || ''),
        ]
      }),
      ['left', ...kinds.map((): 'right' => 'right')],
    ),
  )
  const date = (at: number) => new Date(at * 1000).toISOString().slice(0, 10)
  // Trials all end on one day: one line for them, one per other timed event.
  const dated: Array<{at: number; line: string}> = []
  for (const [at, ends] of groupBy(
    scenario.events.filter((event) => event.kind === 'trial_end'),
    (event) => event.at!,
  )) {
    const converts = ends.filter((event) => event.outcome === 'converts').length
    dated.push({
      at,
      line: `  ${date(at)}  ${'trial end'.padEnd(21)} ${converts} convert, ${ends.length - converts} canceled (no payment method)`,
    })
  }
  for (const event of scenario.events) {
    if (event.at !== undefined && event.kind !== 'trial_end')
      dated.push({
        at: event.at,
        line: `  ${date(event.at)}  ${(TIMED_LABELS[event.kind] ?? event.kind).padEnd(21)} #${event.customer} ${describeEvent(event, scenario)}`,
      })
  }
  const lines = dated.sort((a, b) => a.at - b.at).map(({line}) => line)
  out.push(...lines.slice(0, TIMED_LINES))
  if (lines.length > TIMED_LINES) out.push(`  … and ${lines.length - TIMED_LINES} more (--json lists every event)`)
  out.push('')

  const currencies = [...new Set(scenario.expected.flatMap((month) => Object.keys(month.mrrByCurrency ?? {})))].sort()
  const reporting = scenario.reportingCurrency ?? 'usd'
  const max = Math.max(0, ...scenario.expected.map((month) => month.mrrCents))
  out.push(
    `Expected MRR by Stripe's billing-analytics definitions (the ledger's: active + past_due, yearly ÷ 12, trials and free plans excluded), per currency and in total (${reporting.toUpperCase()})`,
  )
  out.push(
    formatTable(
      ['Month', ...currencies.map((c) => c.toUpperCase()), `Total ${reporting.toUpperCase()}`, ''],
      scenario.expected.map((month) => [
        month.label,
        ...currencies.map((c) => formatMoney(month.mrrByCurrency?.[c] ?? 0, c)),
        `${formatMoney(month.mrrCents, reporting)}${month.unconverted ? ` (without ${month.unconverted.join(', ').toUpperCase()}: no rate)` : ''}`,
        bar(month.mrrCents, max, 30),
      ]),
      ['left', ...currencies.map((): 'right' => 'right'), 'right', 'left'],
    ),
  )
  return out
}

function describeEvent(event: PlannedEvent, scenario: Scenario): string {
  const name = (plan: string) => scenario.plans.find((p) => p.key === plan)?.name ?? plan
  const who = scenario.customers[event.customer]!.identity.company
  const per = (interval?: string) => (interval === 'year' ? '/yr' : '/mo')
  const from = `${name(event.from.plan)} × ${event.from.screens}${per(event.from.interval)}`
  switch (event.kind) {
    case 'discount':
      return `${who}: coupon ${event.coupon}${event.via === 'promotion_code' ? ' by promotion code' : ''}`
    case 'cancel_at_period_end':
      return `${who}: ${from}, ends ${new Date(event.endsAt! * 1000).toISOString().slice(0, 10)}`
    case 'addon_added':
      return `${who}: ${from} + ${event.addon} (${event.prorationBehavior})`
    case 'addon_removed':
      return `${who}: ${from} − ${event.addon} (${event.prorationBehavior})`
    default:
      return event.to
        ? `${who}: ${from} → ${name(event.to.plan)} × ${event.to.screens}${per(event.to.interval)}${event.prorationBehavior ? ` (${event.prorationBehavior})` : ''}`
        : `${who}: ${from}`
  }
}

/** `--scenario list` for people: one line per named scenario. */
export function formatScenarioList(scenarios: ReadonlyArray<{name: string; description: string}>): string {
  const width = Math.max(...scenarios.map((s) => s.name.length))
  return scenarios.map((s) => `${s.name.padEnd(width)}  ${s.description}`).join('\n')
}
