import {DAY, HOUR, addIntervals} from '../billing-time.js'
import {type Addon, type Config, type Coupon, type Plan, planAmount} from '../config/schema.js'
import {UsageError} from '../errors.js'
import {seededRandom} from '../random.js'
import {clampScreens, largestRemainder, shuffle} from './distribution.js'
import type {PlanState, PlannedCustomer, PlannedEvent} from './plan.js'

/**
 * The scenario features on top of the original's plan: each customer's terms (interval, currency,
 * trial, coupon) and the timed events (mid-cycle changes, reactivations, scheduled cancellations,
 * seat growth). Pure and seeded like the base plan, but from its own random stream, so turning a
 * feature on never changes the base plan's customers and events.
 */

export interface CustomerTerms {
  /** One currency per customer, for every subscription it ever has (Stripe's rule). */
  currency: string
  /** The first subscription's interval. */
  interval: 'month' | 'year'
  /** Stopping trials are created without a payment method; every other customer has one. */
  paymentMethod: boolean
  trial?: {days: number; endsAt: number; outcome: 'converts' | 'stops'}
  /** A coupon on the first subscription at creation (month 0), or added by a `discount` event at `month`. */
  coupon?: {id: string; month: number; via: 'coupon' | 'promotion_code'}
  /** The first subscription's billing cycle anchor: its creation, or its trial's end (trial_settings.end_behavior.billing_cycle_anchor `now`, SB-53). */
  anchor: number
}

/** Why a customer's timeline is spoken for: one story per customer keeps every history valid. */
type Story =
  | 'base'
  | 'stopping_trial'
  | 'mid_cycle_upgrade'
  | 'mid_cycle_downgrade'
  | 'to_yearly'
  | 'reactivation'
  | 'cancel_at_period_end'
  | 'seat_growth'
  | 'addon'

export interface FeatureInput {
  config: Config
  /** The base plan's customers: terms are added to them. */
  customers: PlannedCustomer[]
  /** The base plan's events (read only). */
  events: readonly PlannedEvent[]
  months: number
  seed: number
  startTime: number
}

export interface FeaturePlan {
  events: PlannedEvent[]
  counts: Record<string, number>
}

/** Earliest and latest day of the month for a mid-period event: never on a month boundary (the 1st), and inside February. */
const FIRST_DAY = 2
const LAST_DAY = 28
/** Timed events happen at noon UTC: well away from renewals (which settle within hours of the boundary, SB-32). */
const NOON = 12 * HOUR

/** A yearly price: 12 months of the monthly one, less the yearly discount, rounded to the minor unit. */
export function yearlyAmount(monthlyAmount: number, discountPercent: number): number {
  return Math.round((monthlyAmount * 12 * (100 - discountPercent)) / 100)
}

/** The add-on's flat monthly price in `currency`, or undefined where it has none (its customers are chosen among those who can pay it). */
export function addonAmount(
  config: Pick<Config, 'plans' | 'currencies'>,
  addon: Pick<Addon, 'unitAmount'>,
  currency: string,
): number | undefined {
  if (currency === config.plans[0]!.currency) return addon.unitAmount
  const factor = config.currencies?.[currency]?.priceFactor
  return factor === undefined ? undefined : Math.round(addon.unitAmount * factor)
}

/** The end of the billing period that contains `at`, for a subscription anchored at `anchor` (SB-20). */
export function periodEnd(anchor: number, interval: 'month' | 'year', at: number): number {
  let n = 1
  while (addIntervals(anchor, interval, n) <= at) n++
  return addIntervals(anchor, interval, n)
}

/** Count for `--customers` from a count per reference customers, by largest remainder (as the plan table scales). */
function scaled(count: number, reference: number, total: number): number {
  return largestRemainder([count, Math.max(0, reference - count)], total)[0] ?? 0
}

export function planFeatures(input: FeatureInput): FeaturePlan {
  const {config, customers, events: baseEvents, months, seed, startTime} = input
  // Its own stream: the base plan's draws stay exactly as they were.
  const random = seededRandom((seed ^ 0x5eed_f00d) >>> 0)
  const randomInt = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
  const plans = config.plans
  const planIndex = new Map(plans.map((plan, index) => [plan.key, index]))
  const planAt = (key: string, offset = 0): Plan => plans[planIndex.get(key)! + offset]!
  const paid = (c: PlannedCustomer) => planAt(c.plan).unitAmount > 0
  const reference = plans.reduce((sum, plan) => sum + plan.customers, 0)
  const total = customers.length
  const count = (n: number | undefined) => scaled(n ?? 0, reference, total)
  const boundary = (month: number) => addIntervals(startTime, 'month', month)
  const baseEventOf = new Map(baseEvents.map((event) => [event.customer, event]))
  const story = new Map<number, Story>()
  for (const event of baseEvents) story.set(event.customer, 'base')
  const counts: Record<string, number> = {}

  const pick = (
    what: string,
    hint: string,
    n: number,
    eligible: (c: PlannedCustomer) => boolean,
  ): PlannedCustomer[] => {
    counts[what] = n
    if (n === 0) return []
    const candidates = customers.filter(eligible)
    if (candidates.length < n)
      throw new UsageError(
        `The scenario needs ${n} customers with ${what.replaceAll('_', ' ')} but only ${candidates.length} of ${total} can have one: lower ${hint} or the other features`,
      )
    return shuffle(candidates, random)
      .slice(0, n)
      .sort((a, b) => a.index - b.index)
  }

  // Currencies: the configured shares; everyone else pays in their plan's currency.
  const currencyOf = new Map<number, string>()
  const others = Object.entries(config.currencies ?? {})
  const order = shuffle(customers, random)
  let next = 0
  for (const [currency, entry] of others) {
    const n = count(entry.customers)
    counts[`currency_${currency}`] = n
    for (const c of order.slice(next, next + n)) currencyOf.set(c.index, currency)
    next += n
  }
  if (next > total)
    throw new UsageError(`currencies ask for ${next} of ${total} customers: lower currencies.*.customers`)

  // Trials: paid customers whose history has no failed renewal (a trial moves the renewal day, SB-45, SB-49).
  const trialDays = config.trials?.days ?? 0
  const trialEnd = startTime + trialDays * DAY
  const trialEndMonth = monthOf(trialEnd, startTime)
  const firstBaseMonthAfterTrial = boundary(trialEndMonth) > trialEnd ? trialEndMonth : trialEndMonth + 1
  const trialOf = new Map<number, 'converts' | 'stops'>()
  const noTrial = (c: PlannedCustomer) => !trialOf.has(c.index)
  const stopping = pick(
    'stopping_trial',
    'trials.stopping',
    count(config.trials?.stopping),
    (c) => paid(c) && !story.has(c.index),
  )
  for (const c of stopping) {
    trialOf.set(c.index, 'stops')
    story.set(c.index, 'stopping_trial')
  }
  // A converting trial's base event must come after its trial has ended.
  const converting = pick(
    'converting_trial',
    'trials.converting',
    count(config.trials?.converting),
    (c) =>
      paid(c) &&
      noTrial(c) &&
      (baseEventOf.get(c.index)?.kind ?? 'none') !== 'past_due' &&
      (baseEventOf.get(c.index)?.month ?? Infinity) >= firstBaseMonthAfterTrial,
  )
  for (const c of converting) trialOf.set(c.index, 'converts')

  // Yearly: paid customers; a failed renewal needs a renewal inside the run, and there is no yearly free price.
  const yearlyOk = (c: PlannedCustomer) => {
    const event = baseEventOf.get(c.index)
    if (event?.kind === 'past_due') return false
    return !(event?.to && planAt(event.to.plan).unitAmount === 0)
  }
  const intervalOf = new Map<number, 'year'>()
  for (const c of pick('yearly', 'yearly.customers', count(config.yearly?.customers), (c) => paid(c) && yearlyOk(c)))
    intervalOf.set(c.index, 'year')
  const intervalFor = (c: PlannedCustomer) => intervalOf.get(c.index) ?? 'month'
  const anchorOf = (c: PlannedCustomer) => (trialOf.has(c.index) ? trialEnd : startTime)

  // Stories: one per customer, on customers the base plan and stopping trials left alone. A
  // converting trial's story starts the month after its trial ends.
  const firstStoryMonth = (c: PlannedCustomer) => (trialOf.has(c.index) ? trialEndMonth + 1 : 1)
  const unclaimed = (c: PlannedCustomer) => !story.has(c.index) && firstStoryMonth(c) <= months
  const claim = (kind: Story, hint: string, n: number, eligible: (c: PlannedCustomer) => boolean) => {
    const picked = pick(kind, hint, n, (c) => unclaimed(c) && eligible(c))
    for (const c of picked) story.set(c.index, kind)
    return picked
  }
  const top = plans.at(-1)!.key
  const bottom = plans[0]!.key
  const ups = claim('mid_cycle_upgrade', 'changes.upgrades', count(config.changes?.upgrades), (c) => c.plan !== top)
  const downs = claim(
    'mid_cycle_downgrade',
    'changes.downgrades',
    count(config.changes?.downgrades),
    (c) => c.plan !== bottom && (intervalFor(c) === 'month' || planAt(c.plan, -1).unitAmount > 0),
  )
  const switches = claim(
    'to_yearly',
    'changes.toYearly',
    count(config.changes?.toYearly),
    (c) => paid(c) && intervalFor(c) === 'month',
  )
  const nReactivations = count(config.reactivations)
  if (nReactivations > 0 && months < 2)
    throw new UsageError('reactivations need at least 2 months: one to cancel in, a later one to come back')
  const comebacks = claim(
    'reactivation',
    'reactivations',
    nReactivations,
    (c) => paid(c) && firstStoryMonth(c) < months,
  )
  const scheduled = claim('cancel_at_period_end', 'scheduledCancellations', count(config.scheduledCancellations), paid)
  const growers = claim(
    'seat_growth',
    'seatGrowth.customers',
    count(config.seatGrowth?.customers),
    (c) => paid(c) && c.screens < planAt(c.plan).screens.max,
  )

  // Add-ons: monthly paid customers with nothing else in their story, in a currency the add-on has a
  // price in. Drawn from their own stream, so the other features' customers and days stay as they were.
  const addonRandom = seededRandom((seed ^ 0xadd0_17e5) >>> 0)
  const addon = config.addon
  const nRemoved = count(addon?.removed)
  if (nRemoved > 0 && months < 2)
    throw new UsageError('removing an add-on needs at least 2 months: one to add it in, a later one to remove it')
  const addonCustomers: PlannedCustomer[] = []
  if (addon) {
    const n = count(addon.customers)
    counts.addon = n
    const candidates = customers.filter(
      (c) =>
        unclaimed(c) &&
        paid(c) &&
        noTrial(c) &&
        intervalFor(c) === 'month' &&
        addonAmount(config, addon, currencyOf.get(c.index) ?? planAt(c.plan).currency) !== undefined,
    )
    if (candidates.length < n)
      throw new UsageError(
        `The scenario needs ${n} customers with the add-on but only ${candidates.length} of ${total} can have one (monthly, paid, no trial, no other story, a currency the add-on has a price in): lower addon.customers or the other features`,
      )
    for (const c of shuffle(candidates, addonRandom).slice(0, n)) {
      story.set(c.index, 'addon')
      addonCustomers.push(c)
    }
    addonCustomers.sort((a, b) => a.index - b.index)
  }

  // A day inside the month, away from the subscription's own renewal day.
  const anchorDay = (c: PlannedCustomer) => new Date(anchorOf(c) * 1000).getUTCDate()
  const dayFor = (c: PlannedCustomer) => {
    const avoid = anchorDay(c)
    const days = range(FIRST_DAY, LAST_DAY).filter((day) => Math.abs(day - avoid) > 1)
    return days[Math.floor(random() * days.length)]!
  }
  const at = (month: number, day: number) => boundary(month - 1) + (day - 1) * DAY + NOON
  const spread = (list: PlannedCustomer[], offset: number, last = months) =>
    shuffle(list, random).map((c, i) => {
      const first = firstStoryMonth(c)
      return {c, month: first + ((i + offset) % (last - first + 1))}
    })
  const prorationBehavior = config.changes?.prorationBehavior ?? 'create_prorations'
  const state = (c: PlannedCustomer): PlanState => ({plan: c.plan, screens: c.screens, interval: intervalFor(c)})
  const events: PlannedEvent[] = []
  const timed = (
    c: PlannedCustomer,
    month: number,
    fields: Omit<PlannedEvent, 'month' | 'customer' | 'day' | 'at'>,
  ) => {
    const day = dayFor(c)
    const event: PlannedEvent = {month, customer: c.index, ...fields, day, at: at(month, day)}
    events.push(event)
    return event
  }

  for (const {c, month} of spread(ups, 0)) {
    const higher = planAt(c.plan, 1)
    timed(c, month, {
      kind: 'mid_cycle_upgrade',
      change: 'plan',
      from: state(c),
      to: {...state(c), plan: higher.key, screens: clampScreens(c.screens, higher)},
      subscription: 0,
      prorationBehavior,
    })
  }
  for (const {c, month} of spread(downs, 1)) {
    const previous = planAt(c.plan, -1)
    timed(c, month, {
      kind: 'mid_cycle_downgrade',
      change: 'plan',
      from: state(c),
      to: {...state(c), plan: previous.key, screens: clampScreens(c.screens, previous)},
      subscription: 0,
      prorationBehavior,
    })
  }
  for (const {c, month} of spread(switches, 2))
    timed(c, month, {
      kind: 'to_yearly',
      from: state(c),
      to: {...state(c), interval: 'year'},
      subscription: 0,
      prorationBehavior,
    })
  for (const {c, month} of spread(comebacks, 0, months - 1)) {
    // Canceled at a boundary like a base cancellation, back in a later month on a new subscription.
    events.push({month, customer: c.index, kind: 'cancel', from: state(c), subscription: 0})
    const back = month + 1 + Math.floor(random() * (months - month))
    timed(c, back, {kind: 'reactivation', from: state(c), to: state(c), subscription: 1})
  }
  for (const {c, month} of spread(scheduled, 3)) {
    const request = timed(c, month, {kind: 'cancel_at_period_end', from: state(c), subscription: 0})
    const endsAt = periodEnd(anchorOf(c), intervalFor(c), request.at!)
    request.endsAt = endsAt
    const endMonth = monthOf(endsAt, startTime)
    if (endMonth <= months)
      events.push({
        month: endMonth,
        customer: c.index,
        kind: 'subscription_end',
        from: state(c),
        subscription: 0,
        at: endsAt,
        day: new Date(endsAt * 1000).getUTCDate(),
      })
  }
  const steps = config.seatGrowth?.steps ?? 0
  for (const c of shuffle(growers, random)) {
    const first = firstStoryMonth(c)
    const chosen = shuffle(range(first, months), random)
      .slice(0, steps)
      .sort((a, b) => a - b)
    const max = planAt(c.plan).screens.max
    let screens = c.screens
    for (const [i, month] of chosen.entries()) {
      if (screens >= max) break
      const extra = randomInt(1, Math.max(1, Math.ceil((max - screens) / (chosen.length - i + 1))))
      const to = Math.min(max, screens + extra)
      timed(c, month, {
        kind: 'seat_growth',
        change: 'screens',
        from: {...state(c), screens},
        to: {...state(c), screens: to},
        subscription: 0,
        prorationBehavior,
      })
      screens = to
    }
  }

  if (addon) {
    // The first nRemoved (in a shuffled order) remove it again: they add it before the last month.
    const addonOrder = shuffle(addonCustomers, addonRandom)
    const addonDay = (c: PlannedCustomer) => {
      const avoid = anchorDay(c)
      const days = range(FIRST_DAY, LAST_DAY).filter((day) => Math.abs(day - avoid) > 1)
      return days[Math.floor(addonRandom() * days.length)]!
    }
    const addonEvent = (c: PlannedCustomer, month: number, kind: 'addon_added' | 'addon_removed') => {
      const day = addonDay(c)
      events.push({
        month,
        customer: c.index,
        kind,
        from: state(c),
        subscription: 0,
        prorationBehavior,
        addon: addon.key,
        day,
        at: at(month, day),
      })
    }
    for (const [i, c] of addonOrder.entries()) {
      const removes = i < Math.min(nRemoved, addonOrder.length)
      const added = 1 + Math.floor(addonRandom() * (removes ? months - 1 : months))
      addonEvent(c, added, 'addon_added')
      if (removes) addonEvent(c, added + 1 + Math.floor(addonRandom() * (months - added)), 'addon_removed')
    }
  }

  // Coupons last: who can carry which depends on everything above.
  const couponOf = new Map<number, {id: string; month: number; via: 'coupon' | 'promotion_code'}>()
  const currencyFor = (c: PlannedCustomer) => currencyOf.get(c.index) ?? planAt(c.plan).currency
  for (const coupon of config.coupons ?? []) {
    if (coupon.month > months)
      throw new UsageError(
        `coupon ${coupon.id} is added in month ${coupon.month}, after the run's ${months} months: lower its month or raise --months`,
      )
    const owner = coupon.amountOff === undefined ? undefined : (coupon.currency ?? plans[0]!.currency)
    const picked = pick(
      `coupon_${coupon.id}`,
      `coupons (${coupon.id}).customers`,
      count(coupon.customers),
      (c) =>
        paid(c) &&
        !couponOf.has(c.index) &&
        couponFits(coupon, {
          owner,
          currency: currencyFor(c),
          story: story.get(c.index),
          baseKind: baseEventOf.get(c.index)?.kind,
          trial: trialOf.get(c.index),
          interval: intervalFor(c),
          prorates: prorationBehavior !== 'none',
        }),
    )
    const via = coupon.promotionCode ? 'promotion_code' : 'coupon'
    for (const c of picked) {
      couponOf.set(c.index, {id: coupon.id, month: coupon.month, via})
      if (coupon.month > 0)
        timed(c, coupon.month, {kind: 'discount', from: state(c), subscription: 0, coupon: coupon.id, via})
    }
  }

  // Trials end on Stripe's schedule: shown on the calendar, no request.
  for (const [index, outcome] of trialOf) {
    if (trialEndMonth <= months)
      events.push({
        month: trialEndMonth,
        customer: index,
        kind: 'trial_end',
        from: state(customers[index]!),
        subscription: 0,
        at: trialEnd,
        day: new Date(trialEnd * 1000).getUTCDate(),
        outcome,
      })
  }

  for (const c of customers) {
    const trial = trialOf.get(c.index)
    const coupon = couponOf.get(c.index)
    c.terms = {
      currency: currencyFor(c),
      interval: intervalFor(c),
      paymentMethod: trial !== 'stops',
      ...(trial ? {trial: {days: trialDays, endsAt: trialEnd, outcome: trial}} : {}),
      ...(coupon ? {coupon} : {}),
      anchor: anchorOf(c),
    }
    if (planAmount(config, planAt(c.plan), c.terms.currency) === undefined)
      throw new Error(
        `BUG: plan ${c.plan} has no price in ${c.terms.currency}, which the config's validation should have refused`,
      )
  }
  return {events, counts}
}

interface CouponContext {
  owner: string | undefined
  currency: string
  story: Story | undefined
  baseKind: string | undefined
  trial: 'converts' | 'stops' | undefined
  interval: 'month' | 'year'
  /** Whether the scenario's mid-cycle changes create prorations. */
  prorates: boolean
}

const PRORATING_STORIES = new Set<Story | undefined>([
  'mid_cycle_upgrade',
  'mid_cycle_downgrade',
  'to_yearly',
  'seat_growth',
  'addon',
])

/**
 * Which customers a coupon can go to and keep the history valid: an amount off only in its own
 * currency; no amount-off or repeating coupon on an item that prorates mid-cycle; no coupon on a trial that stops; one added later only on a subscription still alive
 * then; a repeating coupon only on a subscription that stays monthly and has no trial (how
 * `duration_in_months` counts on yearly prices, and from a trial, is not documented).
 */
function couponFits(coupon: Coupon, context: CouponContext): boolean {
  if (context.owner !== undefined && context.owner !== context.currency) return false
  if (context.trial === 'stops') return false
  const ends =
    context.story === 'reactivation' ||
    context.story === 'cancel_at_period_end' ||
    context.baseKind === 'cancel' ||
    context.baseKind === 'past_due'
  if (coupon.month > 0 && (ends || context.trial !== undefined)) return false
  if (
    coupon.duration === 'repeating' &&
    (context.interval === 'year' || context.story === 'to_yearly' || context.trial !== undefined)
  )
    return false
  // Prorations of a discounted item: only a percentage that lasts through the change, once per period
  // (the emulator refuses the rest with 501, docs/stripe-behaviour.md "Not modelled", and Stripe's amounts there are unconfirmed).
  if (context.prorates && PRORATING_STORIES.has(context.story)) {
    if (coupon.amountOff !== undefined || coupon.duration === 'repeating') return false
    if (context.story === 'seat_growth' && context.interval === 'year') return false
  }
  return true
}

/** The reading a time is first visible in: month k for a time after reading k-1 and up to reading k. */
export function monthOf(at: number, startTime: number): number {
  let month = 0
  while (addIntervals(startTime, 'month', month) < at) month++
  return month
}

function range(from: number, to: number): number[] {
  return Array.from({length: Math.max(0, to - from + 1)}, (_, i) => from + i)
}
