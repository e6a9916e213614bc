import type Stripe from 'stripe'
import {addIntervals} from '../../billing-time.js'
import type {Account} from '../account.js'
import {invalid, notModelled} from '../errors.js'
import {
  type Metadata,
  type Raw,
  bool,
  checkNested,
  checkParams,
  int,
  mergeMetadata,
  objectArray,
  oneOf,
  optStr,
  required,
  str,
} from '../params.js'
import {
  type ApiObject,
  COMMON,
  type DueEvent,
  PAGINATION,
  type Resource,
  type RouteContext,
  filter,
  list,
  route,
  updating,
} from '../resource.js'
import {collectionKey} from '../store.js'
import {RANK} from '../time-engine.js'
import {customersOnClock, liveCustomer} from './customers/record.js'
import {recurringPrice} from './prices.js'
import {SCHEDULE_OF_SUBSCRIPTION, SUBSCRIPTIONS, type SubscriptionRecord} from './subscriptions/record.js'
import {applyScheduledItems} from './subscriptions/items.js'
import {cancelNow} from './subscriptions/lifecycle.js'
import {createSubscription} from './subscriptions/routes.js'
import {isTaxedSubscription} from './subscriptions/billing.js'
import {renderSubscription} from './subscriptions/render.js'
import {assertClockWritable} from './test-clocks.js'
import type {Wire} from '../wire.js'

export type ScheduleStatus = 'not_started' | 'active' | 'completed' | 'released' | 'canceled'
type ProrationBehavior = 'create_prorations' | 'none'

interface PhaseRecord {
  start: number
  end: number
  items: Array<{price: string; quantity: number; metadata: Metadata}>
  proration: ProrationBehavior
  currency: string
  metadata: Metadata
}

export interface ScheduleRecord {
  id: string
  created: number
  customer: string
  status: ScheduleStatus
  endBehavior: 'release' | 'cancel'
  phases: PhaseRecord[]
  subscription: string | null
  releasedSubscription: string | null
  releasedAt: number | null
  canceledAt: number | null
  completedAt: number | null
  billingMode: SubscriptionRecord['billingMode']
  metadata: Metadata
  testClock: string | null
  seq: number
}

export const SCHEDULES = collectionKey<ScheduleRecord>('subscriptionSchedules', 'subscription schedule')
const BY_CUSTOMER = 'schedules-by-customer'
const LIVE = new Set<ScheduleStatus>(['not_started', 'active'])

function renderPhase(phase: PhaseRecord): Wire<Stripe.SubscriptionSchedule.Phase> {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: phase.currency,
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    end_date: phase.end,
    invoice_settings: null,
    // A phase item's plan is its price's id, unexpanded, as in Stripe's example response.
    items: phase.items.map((item) => ({
      billing_thresholds: null,
      discounts: [],
      metadata: item.metadata,
      plan: item.price,
      price: item.price,
      quantity: item.quantity,
      tax_rates: [],
    })),
    metadata: phase.metadata,
    on_behalf_of: null,
    proration_behavior: phase.proration,
    start_date: phase.start,
    transfer_data: null,
    trial_end: null,
  }
}

/** The phase running now: the last one that has started (SB-S3). */
function currentPhase(schedule: ScheduleRecord, now: number): PhaseRecord | undefined {
  return schedule.status === 'active' ? schedule.phases.findLast((phase) => phase.start <= now) : undefined
}

export function renderSchedule(account: Account, schedule: ScheduleRecord): Wire<Stripe.SubscriptionSchedule> {
  const current = currentPhase(schedule, account.nowFor(schedule.testClock))
  return {
    id: schedule.id,
    object: 'subscription_schedule',
    application: null,
    billing_mode:
      schedule.billingMode === 'flexible'
        ? {flexible: {proration_discounts: 'included'}, type: 'flexible', updated_at: schedule.created}
        : {flexible: null, type: 'classic'},
    canceled_at: schedule.canceledAt,
    completed_at: schedule.completedAt,
    created: schedule.created,
    current_phase: current ? {end_date: current.end, start_date: current.start} : null,
    customer: schedule.customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      automatic_tax: {disabled_reason: null, enabled: false, liability: null},
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: 'charge_automatically',
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: null,
        description: null,
        footer: null,
        issuer: {type: 'self'},
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: schedule.endBehavior,
    livemode: false,
    metadata: schedule.metadata,
    pause_schedules: [],
    phases: schedule.phases.map(renderPhase),
    released_at: schedule.releasedAt,
    released_subscription: schedule.releasedSubscription,
    status: schedule.status,
    subscription: schedule.subscription,
    test_clock: schedule.testClock,
  }
}

// ── phases ─────────────────────────────────────────────────────────────────

const PHASE_KNOWN = [
  'add_invoice_items',
  'application_fee_percent',
  'automatic_tax',
  'billing_cycle_anchor',
  'billing_thresholds',
  'collection_method',
  'currency',
  'default_payment_method',
  'default_tax_rates',
  'description',
  'discounts',
  'duration',
  'end_date',
  'invoice_settings',
  'items',
  'metadata',
  'on_behalf_of',
  'proration_behavior',
  'start_date',
  'transfer_data',
  'trial',
  'trial_end',
] as const
const PHASE_HANDLED = [
  'items',
  'duration',
  'end_date',
  'proration_behavior',
  'metadata',
  'currency',
  'start_date',
] as const
const PHASE_ITEM_KNOWN = [
  'billing_thresholds',
  'discounts',
  'metadata',
  'plan',
  'price',
  'price_data',
  'quantity',
  'tax_rates',
] as const

/** Clover removed `phases[][iterations]` (SB-T9); requests at older versions may still send it. */
function takesIterations(apiVersion: string | null): boolean {
  return apiVersion !== null && apiVersion < '2025-09-30'
}

/** The parameters checked against the newest spec: before clover without the phases' `iterations`, read on their own (SB-T9). */
function specParams(params: Raw, apiVersion: string | null): Raw {
  if (!takesIterations(apiVersion) || params.phases === undefined) return params
  const phases = objectArray(params.phases, 'phases').map(({iterations: _iterations, ...phase}) => phase)
  return {...params, phases}
}

/**
 * The phases as asked: each starts where the one before ends and lasts `end_date`, `duration` or,
 * before clover, `iterations` (SB-S2, SB-T9). The first starts at `start`; a phase's `start_date`,
 * if given, must say the same.
 */
function parsePhases(
  account: Account,
  raw: unknown,
  start: number,
  now: number,
  endpoint: string,
  apiVersion: string | null,
): PhaseRecord[] {
  const rawPhases = objectArray(raw, 'phases')
  if (rawPhases.length === 0) throw invalid('Missing required param: phases.', 'phases', 'parameter_missing')
  const phases: PhaseRecord[] = []
  let phaseStart = start
  for (const [index, given] of rawPhases.entries()) {
    const at = `phases[${index}]`
    // From clover `iterations` is unknown, and checkNested refuses it as Stripe does.
    const {iterations, ...rest} = given
    const rawPhase = takesIterations(apiVersion) ? rest : given
    const phase = checkNested(rawPhase, at, PHASE_KNOWN, PHASE_HANDLED, endpoint)
    if (
      phase.start_date !== undefined &&
      (phase.start_date === 'now' ? now : int(phase.start_date, `${at}[start_date]`)) !== phaseStart
    ) {
      throw notModelled(
        `${at}[start_date] other than the end of the phase before it (gaps and overlaps between phases)`,
      )
    }
    const items = objectArray(required(phase, 'items'), `${at}[items]`).map((rawItem, i) => {
      const item = checkNested(
        rawItem,
        `${at}[items][${i}]`,
        PHASE_ITEM_KNOWN,
        ['price', 'plan', 'quantity', 'metadata'],
        endpoint,
      )
      const price = recurringPrice(
        account,
        str(item.price ?? item.plan ?? required(item, 'price'), `${at}[items][${i}][price]`),
        `${at}[items][${i}][price]`,
      )
      return {
        price,
        quantity: item.quantity === undefined ? 1 : int(item.quantity, `${at}[items][${i}][quantity]`),
        metadata: mergeMetadata({}, item.metadata),
      }
    })
    if (items.length === 0) throw invalid(`Missing required param: ${at}[items].`, `${at}[items]`, 'parameter_missing')
    if (new Set(items.map((item) => item.price.id)).size !== items.length)
      throw invalid('Cannot add multiple subscription items with the same price.', `${at}[items]`)
    const currency = items[0]!.price.currency
    if (items.some((item) => item.price.currency !== currency) || (phases[0] && phases[0].currency !== currency))
      throw invalid('All prices on a subscription schedule must have the same currency.', `${at}[items]`)
    if (phase.currency !== undefined && str(phase.currency, `${at}[currency]`).toLowerCase() !== currency)
      throw invalid('The currency must match the currency of the prices.', `${at}[currency]`)
    const lengths = (['end_date', 'duration', 'iterations'] as const).filter((key) =>
      key === 'iterations' ? takesIterations(apiVersion) && iterations !== undefined : phase[key] !== undefined,
    )
    if (lengths.length > 1)
      throw invalid(
        `You may only specify one of these parameters: ${lengths.map((key) => `${at}[${key}]`).join(', ')}.`,
        `${at}[${lengths[0]}]`,
      )
    let end: number
    if (phase.end_date !== undefined) end = phase.end_date === 'now' ? now : int(phase.end_date, `${at}[end_date]`)
    else if (takesIterations(apiVersion) && iterations !== undefined) {
      // "the multiplier applied to the price interval": iterations=2 of a 3-month price is 6 months (SB-T9).
      const count = int(iterations, `${at}[iterations]`, 1)
      const cadences = new Set(items.map(({price}) => `${price.recurring.interval}/${price.recurring.intervalCount}`))
      if (cadences.size > 1) throw notModelled(`${at}[iterations] with prices of different intervals`)
      const {interval, intervalCount} = items[0]!.price.recurring
      end = addIntervals(phaseStart, interval, intervalCount * count)
    } else if (phase.duration !== undefined) {
      const duration = checkNested(
        phase.duration,
        `${at}[duration]`,
        ['interval', 'interval_count'],
        ['interval', 'interval_count'],
        endpoint,
      )
      const interval = oneOf(required(duration, 'interval'), `${at}[duration][interval]`, [
        'day',
        'week',
        'month',
        'year',
      ] as const)
      end = addIntervals(
        phaseStart,
        interval,
        duration.interval_count === undefined ? 1 : int(duration.interval_count, `${at}[duration][interval_count]`, 1),
      )
    } else
      throw notModelled(
        `${at} without end_date, duration or iterations (how long Stripe makes such a phase is undocumented)`,
      )
    if (end <= phaseStart) throw invalid(`${at}[end_date] must be after the phase's start.`, `${at}[end_date]`)
    // always_invoice at a phase start would bill an invoice whose shape Stripe does not describe.
    const proration =
      phase.proration_behavior === undefined
        ? 'create_prorations'
        : oneOf(phase.proration_behavior, `${at}[proration_behavior]`, [
            'create_prorations',
            'always_invoice',
            'none',
          ] as const)
    if (proration === 'always_invoice') throw notModelled(`${at}[proration_behavior]=always_invoice`)
    phases.push({
      start: phaseStart,
      end,
      items: items.map((item) => ({price: item.price.id, quantity: item.quantity, metadata: item.metadata})),
      proration,
      currency,
      metadata: mergeMetadata({}, phase.metadata),
    })
    phaseStart = end
  }
  return phases
}

// ── lifecycle ──────────────────────────────────────────────────────────────

function subscriptionOf(account: Account, schedule: ScheduleRecord): SubscriptionRecord | undefined {
  return schedule.subscription ? account.store.of(SUBSCRIPTIONS).get(schedule.subscription) : undefined
}

/** Emits `subscription_schedule.updated` with what `change` altered (SB-68). */
function changing<T>(account: Account, schedule: ScheduleRecord, change: () => T): T {
  return updating(
    account,
    'subscription_schedule.updated',
    schedule.testClock,
    () => renderSchedule(account, schedule),
    change,
  )
}

/** The subscription leaves the schedule: its `schedule` becomes null (SB-S1). */
function letGo(account: Account, schedule: ScheduleRecord): void {
  const sub = subscriptionOf(account, schedule)
  if (!sub) return
  updating(
    account,
    'customer.subscription.updated',
    sub.testClock,
    () => renderSubscription(account, sub),
    () => account.store.index(SCHEDULE_OF_SUBSCRIPTION).remove(sub.id, schedule.id),
  )
}

/**
 * With end_behavior=cancel, once the last phase runs, the subscription is set to cancel at its end
 * (SB-S4); `previous` is the cancellation the schedule set before, which it may take back.
 */
function cancelAtEnd(account: Account, schedule: ScheduleRecord, previous: number | null): void {
  const sub = subscriptionOf(account, schedule)
  if (!sub) return
  const last = schedule.phases.at(-1)!
  const inLast = currentPhase(schedule, account.nowFor(schedule.testClock)) === last
  const wanted = schedule.endBehavior === 'cancel' && inLast ? last.end : null
  if (sub.cancelAt === wanted || (sub.cancelAt !== null && sub.cancelAt !== previous)) return
  updating(
    account,
    'customer.subscription.updated',
    sub.testClock,
    () => renderSubscription(account, sub),
    () => {
      sub.cancelAt = wanted
      sub.cancelAtPeriodEnd = false
    },
  )
}

/** The next phase starts: the subscription takes its items, prorated as the phase says (SB-S3). */
function startPhase(account: Account, schedule: ScheduleRecord, phase: PhaseRecord, at: number): void {
  const sub = subscriptionOf(account, schedule)
  if (!sub) return
  applyScheduledItems(account, sub, phase.items, phase.proration, at)
  // current_phase moved on: announced as an update with the phase before (ours: Stripe does not say).
  const before = schedule.phases[schedule.phases.indexOf(phase) - 1]
  account.emit('subscription_schedule.updated', () => renderSchedule(account, schedule), schedule.testClock, {
    current_phase: before ? {end_date: before.end, start_date: before.start} : null,
  })
  if (phase === schedule.phases.at(-1)) cancelAtEnd(account, schedule, null)
}

/** The last phase is over: the schedule completes and, with end_behavior=release, lets the subscription go on alone (SB-S4). */
function complete(account: Account, schedule: ScheduleRecord, at: number): void {
  letGo(account, schedule)
  changing(account, schedule, () => {
    schedule.status = 'completed'
    schedule.completedAt = at
  })
  account.emit('subscription_schedule.completed', () => renderSchedule(account, schedule), schedule.testClock)
}

/**
 * Called when a subscription ends (the subscriptionEnded signal): a schedule whose last phase ends with it
 * completes; one whose subscription ended otherwise is canceled, `aborted` when delinquency ended it (SB-S6).
 */
export function scheduledSubscriptionEnded(account: Account, sub: SubscriptionRecord, at: number): void {
  const id = account.store.index(SCHEDULE_OF_SUBSCRIPTION).ids(sub.id)[0]
  const schedule = id ? account.store.of(SCHEDULES).get(id) : undefined
  if (!schedule || !LIVE.has(schedule.status)) return
  if (schedule.endBehavior === 'cancel' && at === schedule.phases.at(-1)?.end) return complete(account, schedule, at)
  changing(account, schedule, () => {
    schedule.status = 'canceled'
    schedule.canceledAt = at
  })
  const delinquent = sub.cancellation.reason === 'payment_failed'
  account.emit(
    delinquent ? 'subscription_schedule.aborted' : 'subscription_schedule.canceled',
    () => renderSchedule(account, schedule),
    schedule.testClock,
  )
}

function dueEvents(account: Account, clockId: string): DueEvent[] {
  const events: DueEvent[] = []
  for (const customer of customersOnClock(account, clockId)) {
    for (const schedule of account.store.indexed(SCHEDULES, BY_CUSTOMER, customer.id)) {
      if (schedule.status !== 'active') continue
      // Phases wait while the subscription cannot take an item change (incomplete, paused, unpaid: ours, SB-S3).
      const sub = subscriptionOf(account, schedule)
      if (sub && sub.status !== 'active' && sub.status !== 'past_due') continue
      const now = account.nowFor(schedule.testClock)
      const next = schedule.phases.find((phase) => phase.start > now)
      const last = schedule.phases.at(-1)!
      if (next)
        events.push({
          at: next.start,
          rank: RANK.schedulePhase,
          seq: schedule.seq,
          run: () => startPhase(account, schedule, next, next.start),
        })
      else
        events.push({
          at: last.end,
          rank: RANK.schedulePhase,
          seq: schedule.seq,
          run: () => complete(account, schedule, last.end),
        })
    }
  }
  return events
}

// ── routes ─────────────────────────────────────────────────────────────────

const CREATE_HANDLED = [
  ...COMMON,
  'customer',
  'phases',
  'start_date',
  'end_behavior',
  'metadata',
  'from_subscription',
] as const
const UPDATE_HANDLED = [...COMMON, 'phases', 'end_behavior', 'metadata', 'proration_behavior'] as const

function scheduleOf(ctx: RouteContext): ScheduleRecord {
  return ctx.account.store.of(SCHEDULES).require(ctx.ids[0] ?? '')
}

function endBehavior(value: unknown): ScheduleRecord['endBehavior'] {
  return oneOf(value, 'end_behavior', ['release', 'cancel'] as const)
}

function store(account: Account, schedule: ScheduleRecord, sub: SubscriptionRecord): void {
  account.store.of(SCHEDULES).set(schedule.id, schedule)
  account.store.index(BY_CUSTOMER).add(schedule.customer, schedule.id)
  account.store.index(SCHEDULE_OF_SUBSCRIPTION).add(sub.id, schedule.id)
}

function createSchedule(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscription_schedules'
  const {account, params} = ctx
  checkParams(specParams(params, ctx.apiVersion), 'SubscriptionScheduleCreateParams', CREATE_HANDLED, endpoint)
  if (params.from_subscription !== undefined) {
    // from_subscription takes the subscription as it is: no other settings (SB-S5).
    const extra = Object.keys(params).filter((key) => !['expand', 'from_subscription', 'metadata'].includes(key))
    if (extra.length > 0) throw invalid(`You cannot set ${extra[0]} when using from_subscription.`, extra[0])
    const sub = account.store.of(SUBSCRIPTIONS).require(str(params.from_subscription, 'from_subscription'))
    assertClockWritable(account, sub.testClock)
    if (account.store.index(SCHEDULE_OF_SUBSCRIPTION).size(sub.id) > 0)
      throw invalid(`The subscription ${sub.id} is already attached to a subscription schedule.`, 'from_subscription')
    if (sub.status !== 'active' && sub.status !== 'past_due')
      throw notModelled(`from_subscription on a ${sub.status} subscription`)
    // Phases carry no tax rates here, and their prorations on a taxed subscription are undocumented (SB-78).
    if (isTaxedSubscription(sub)) throw notModelled('from_subscription on a subscription with tax rates (SB-78)')
    if (sub.cancelAt !== null) throw notModelled('from_subscription on a subscription with a scheduled cancellation')
    const schedule: ScheduleRecord = {
      ...blank(account, sub.customer, sub.testClock, sub.billingMode, params),
      status: 'active',
      subscription: sub.id,
      phases: [
        {
          start: sub.periodStart,
          end: sub.periodEnd,
          items: sub.items.map((item) => ({price: item.price, quantity: item.quantity, metadata: {}})),
          proration: 'create_prorations',
          currency: sub.currency,
          metadata: {},
        },
      ],
    }
    store(account, schedule, sub)
    account.emit('subscription_schedule.created', () => renderSchedule(account, schedule), schedule.testClock)
    announceLink(account, sub)
    return renderSchedule(account, schedule)
  }
  const customer = liveCustomer(account, str(required(params, 'customer'), 'customer'), 'customer')
  assertClockWritable(account, customer.testClock)
  const now = account.nowFor(customer.testClock)
  // A future start (not_started) or a backdated one needs billing Stripe does not describe here.
  if (params.start_date === undefined) throw notModelled('a schedule without start_date (pass start_date=now)')
  if (params.start_date !== 'now' && int(params.start_date, 'start_date') !== now)
    throw notModelled('start_date other than now (future or backdated schedules)')
  const phases = parsePhases(account, required(params, 'phases'), now, now, endpoint, ctx.apiVersion)
  const ending = params.end_behavior === undefined ? 'release' : endBehavior(params.end_behavior)
  // The subscription starts as subscriptions.create would with the first phase's items (SB-S2).
  const first = phases[0]!
  const created = createSubscription({
    ...ctx,
    params: {
      customer: customer.id,
      items: first.items.map((item) => ({price: item.price, quantity: String(item.quantity)})),
      ...(ending === 'cancel' && phases.length === 1 ? {cancel_at: String(first.end)} : {}),
    },
  })
  const sub = account.store.of(SUBSCRIPTIONS).require(String(created.id))
  const schedule: ScheduleRecord = {
    ...blank(account, customer.id, customer.testClock, sub.billingMode, params),
    status: 'active',
    subscription: sub.id,
    endBehavior: ending,
    phases,
  }
  store(account, schedule, sub)
  account.emit('subscription_schedule.created', () => renderSchedule(account, schedule), schedule.testClock)
  announceLink(account, sub)
  return renderSchedule(account, schedule)
}

/** The subscription now names its schedule: one customer.subscription.updated (SB-S1). */
function announceLink(account: Account, sub: SubscriptionRecord): void {
  account.emit('customer.subscription.updated', () => renderSubscription(account, sub), sub.testClock, {schedule: null})
}

function blank(
  account: Account,
  customer: string,
  testClock: string | null,
  billingMode: SubscriptionRecord['billingMode'],
  params: Raw,
): ScheduleRecord {
  return {
    id: account.newId('sub_sched_'),
    created: account.nowFor(testClock),
    customer,
    status: 'not_started',
    endBehavior: 'release',
    phases: [],
    subscription: null,
    releasedSubscription: null,
    releasedAt: null,
    canceledAt: null,
    completedAt: null,
    billingMode,
    metadata: mergeMetadata({}, params.metadata),
    testClock,
    seq: account.nextSeq(),
  }
}

function updateSchedule(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscription_schedules/{id}'
  const {account, params} = ctx
  checkParams(specParams(params, ctx.apiVersion), 'SubscriptionScheduleUpdateParams', UPDATE_HANDLED, endpoint)
  const schedule = scheduleOf(ctx)
  assertClockWritable(account, schedule.testClock)
  if (!LIVE.has(schedule.status)) throw invalid(`You cannot update a subscription schedule that is ${schedule.status}.`)
  const now = account.nowFor(schedule.testClock)
  const current = currentPhase(schedule, now)!
  let phases: PhaseRecord[] | undefined
  if (params.phases !== undefined) {
    // Past phases may be omitted; the first phase given is the current one and keeps its start (SB-S2).
    phases = parsePhases(account, params.phases, current.start, now, endpoint, ctx.apiVersion)
    if (phases[0]!.currency !== current.currency)
      throw invalid('All prices on a subscription schedule must have the same currency.', 'phases[0][items]')
    const same = (a: PhaseRecord, b: PhaseRecord) =>
      JSON.stringify(a.items.map(({price, quantity}) => [price, quantity])) ===
      JSON.stringify(b.items.map(({price, quantity}) => [price, quantity]))
    if (!same(phases[0]!, current))
      throw notModelled(
        'changing the items of the current phase through the schedule (update the subscription, or the phases after it)',
      )
    if (phases[0]!.end < now) throw invalid('phases[0][end_date] must be in the future.', 'phases[0][end_date]')
  }
  if (params.proration_behavior !== undefined)
    oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const ending = params.end_behavior === undefined ? undefined : endBehavior(params.end_behavior)
  const sub = subscriptionOf(account, schedule)
  const previous = schedule.endBehavior === 'cancel' ? schedule.phases.at(-1)!.end : null
  if (sub && sub.cancelAt !== null && sub.cancelAt !== previous)
    throw notModelled('updating a schedule whose subscription has a cancellation of its own')
  changing(account, schedule, () => {
    if (phases) schedule.phases = [...schedule.phases.filter((phase) => phase.end <= current.start), ...phases]
    if (ending) schedule.endBehavior = ending
    schedule.metadata = mergeMetadata(schedule.metadata, params.metadata)
  })
  cancelAtEnd(account, schedule, previous)
  return renderSchedule(account, schedule)
}

export const subscriptionSchedules: Resource = {
  object: 'subscription_schedule',
  idPrefixes: ['sub_sched_'],
  render: (account, id) => {
    const schedule = account.store.of(SCHEDULES).get(id)
    return schedule && renderSchedule(account, schedule)
  },
  documentedParams: {
    file: 'SubscriptionSchedules.d.ts',
    interfaces: [
      'SubscriptionScheduleCreateParams',
      'SubscriptionScheduleRetrieveParams',
      'SubscriptionScheduleUpdateParams',
      'SubscriptionScheduleListParams',
      'SubscriptionScheduleCancelParams',
      'SubscriptionScheduleReleaseParams',
    ],
  },
  due: dueEvents,
  on: {subscriptionEnded: (account, {subscription, at}) => scheduledSubscriptionEnded(account, subscription, at)},
  routes: [
    route('POST', '/v1/subscription_schedules', createSchedule),
    route('GET', '/v1/subscription_schedules/:id', (ctx) => {
      checkParams(ctx.params, 'SubscriptionScheduleRetrieveParams', COMMON, 'GET /v1/subscription_schedules/{id}')
      return renderSchedule(ctx.account, scheduleOf(ctx))
    }),
    route('POST', '/v1/subscription_schedules/:id', updateSchedule),
    route('GET', '/v1/subscription_schedules', (ctx) => {
      checkParams(
        ctx.params,
        'SubscriptionScheduleListParams',
        [...COMMON, 'customer', ...PAGINATION],
        'GET /v1/subscription_schedules',
      )
      const customer = optStr(ctx.params.customer, 'customer') ?? undefined
      return list(
        ctx,
        filter(
          ctx.account.store.of(SCHEDULES).values(),
          (schedule) => customer === undefined || schedule.customer === customer,
        ),
        (schedule) => renderSchedule(ctx.account, schedule),
      )
    }),
    route('POST', '/v1/subscription_schedules/:id/release', (ctx) => {
      // Release stops the phases and leaves the subscription as it is (SB-S5).
      checkParams(
        ctx.params,
        'SubscriptionScheduleReleaseParams',
        [...COMMON, 'preserve_cancel_date'],
        'POST /v1/subscription_schedules/{id}/release',
      )
      const {account} = ctx
      const schedule = scheduleOf(ctx)
      assertClockWritable(account, schedule.testClock)
      if (!LIVE.has(schedule.status))
        throw invalid(
          `You cannot release a subscription schedule that is currently in the \`${schedule.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`,
        )
      const preserve =
        ctx.params.preserve_cancel_date !== undefined && bool(ctx.params.preserve_cancel_date, 'preserve_cancel_date')
      const sub = subscriptionOf(account, schedule)
      if (sub && !preserve && sub.cancelAt !== null)
        updating(
          account,
          'customer.subscription.updated',
          sub.testClock,
          () => renderSubscription(account, sub),
          () => (sub.cancelAt = null),
        )
      letGo(account, schedule)
      changing(account, schedule, () => {
        schedule.status = 'released'
        schedule.releasedAt = account.nowFor(schedule.testClock)
        schedule.releasedSubscription = schedule.subscription
        schedule.subscription = null
      })
      account.emit('subscription_schedule.released', () => renderSchedule(account, schedule), schedule.testClock)
      return renderSchedule(account, schedule)
    }),
    route('POST', '/v1/subscription_schedules/:id/cancel', (ctx) => {
      // Cancel ends the schedule and its subscription now; prorate and invoice_now default to true (SB-S5).
      checkParams(
        ctx.params,
        'SubscriptionScheduleCancelParams',
        [...COMMON, 'invoice_now', 'prorate'],
        'POST /v1/subscription_schedules/{id}/cancel',
      )
      const {account, params} = ctx
      const schedule = scheduleOf(ctx)
      assertClockWritable(account, schedule.testClock)
      if (!LIVE.has(schedule.status))
        throw invalid(
          `You cannot cancel a subscription schedule that is currently in the \`${schedule.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`,
        )
      const prorate = params.prorate === undefined || bool(params.prorate, 'prorate')
      const invoiceNow = params.invoice_now === undefined || bool(params.invoice_now, 'invoice_now')
      const sub = subscriptionOf(account, schedule)
      const at = account.nowFor(schedule.testClock)
      if (sub && prorate && invoiceNow && at > sub.periodStart && at < sub.periodEnd)
        throw notModelled(
          "cancel with prorate and invoice_now mid-period (the final invoice's billing_reason is undocumented); pass prorate=false or invoice_now=false",
        )
      changing(account, schedule, () => {
        schedule.status = 'canceled'
        schedule.canceledAt = at
      })
      if (sub && sub.status !== 'canceled' && sub.status !== 'incomplete_expired')
        cancelNow(account, sub, at, {prorate, invoiceNow})
      account.emit('subscription_schedule.canceled', () => renderSchedule(account, schedule), schedule.testClock)
      return renderSchedule(account, schedule)
    }),
  ],
}
