import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {invalid, missing, notModelled} from '../errors.js'
import {type Metadata, bool, checkParams, mergeMetadata, optStr, required, str, strArray} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export interface TaxRateRecord {
  id: string
  created: number
  displayName: string
  description: string | null
  percentage: number
  inclusive: boolean
  active: boolean
  country: string | null
  state: string | null
  jurisdiction: string | null
  taxType: string | null
  metadata: Metadata
  seq: number
}

export const TAX_RATES = collectionKey<TaxRateRecord>('taxRates', 'tax rate')

export function renderTaxRate(rate: TaxRateRecord): Wire<Stripe.TaxRate> {
  return {
    id: rate.id,
    object: 'tax_rate',
    active: rate.active,
    country: rate.country,
    created: rate.created,
    description: rate.description,
    display_name: rate.displayName,
    // Filled by Stripe Tax only; a rate made by hand leaves them null (SN23 `TaxRates.d.ts`).
    effective_percentage: null,
    flat_amount: null,
    inclusive: rate.inclusive,
    jurisdiction: rate.jurisdiction,
    jurisdiction_level: null,
    livemode: false,
    metadata: rate.metadata,
    percentage: rate.percentage,
    rate_type: null,
    state: rate.state,
    tax_type: rate.taxType,
  }
}

/** One rate's tax on one invoice line (SB-78). */
export interface LineTax {
  rate: string
  inclusive: boolean
  amount: number
  taxableAmount: number
}

/**
 * Tax rates named by a request, to be applied from now on (SB-78): each must exist and be active;
 * a line takes exclusive rates only, or a single inclusive one (other mixes are not modelled).
 */
export function taxRatesParam(account: Account, value: unknown, param: string): string[] {
  const ids = strArray(value, param)
  const rates = ids.map((id) => {
    const rate = account.store.of(TAX_RATES).get(id)
    if (!rate) throw missing('tax rate', id, param)
    // An archived rate keeps working where it is set, but is never newly applied (SB-78).
    if (!rate.active) throw invalid(`Tax rate '${id}' is not active and cannot be applied.`, param)
    return rate
  })
  if (new Set(ids).size !== ids.length) throw invalid(`The same tax rate is listed twice in ${param}.`, param)
  if (rates.some((rate) => rate.inclusive) && rates.length > 1)
    throw notModelled(`an inclusive tax rate together with other tax rates on one line (${param})`)
  return ids
}

/**
 * The taxes of a line whose amount after discounts is `net` (SB-78): an exclusive rate adds
 * net × p/100, an inclusive one is contained in it, net × p/(100+p); each rounded half away from zero to the minor unit (ours).
 */
export function lineTaxes(account: Account, net: number, rateIds: readonly string[]): LineTax[] {
  return rateIds.map((id) => {
    const rate = account.store.of(TAX_RATES).require(id)
    const exact = rate.inclusive ? (net * rate.percentage) / (100 + rate.percentage) : (net * rate.percentage) / 100
    // Half away from zero, so a credit's tax mirrors its debit's (ours).
    const amount = Math.sign(exact) * Math.round(Math.abs(exact))
    return {rate: id, inclusive: rate.inclusive, amount, taxableAmount: rate.inclusive ? net - amount : net}
  })
}

function percentage(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : value
  const n = typeof text === 'string' && /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 0 && n <= 100)) throw invalid('The percentage must be a number between 0 and 100.', 'percentage')
  return n
}

const LABELS = ['country', 'state', 'jurisdiction', 'tax_type', 'description'] as const

export const taxRates: Resource = {
  object: 'tax_rate',
  idPrefixes: ['txr_'],
  render: (account, id) => {
    const rate = account.store.of(TAX_RATES).get(id)
    return rate && renderTaxRate(rate)
  },
  documentedParams: {
    file: 'TaxRates.d.ts',
    interfaces: ['TaxRateCreateParams', 'TaxRateRetrieveParams', 'TaxRateUpdateParams', 'TaxRateListParams'],
  },
  routes: [
    route('POST', '/v1/tax_rates', (ctx) => {
      checkParams(
        ctx.params,
        'TaxRateCreateParams',
        [...COMMON, 'display_name', 'inclusive', 'percentage', 'active', 'metadata', ...LABELS],
        'POST /v1/tax_rates',
      )
      const {account, params: p} = ctx
      const rate: TaxRateRecord = {
        id: account.newId('txr_'),
        created: account.wallSeconds(),
        displayName: str(required(p, 'display_name'), 'display_name'),
        description: optStr(p.description, 'description') ?? null,
        percentage: percentage(required(p, 'percentage')),
        inclusive: bool(required(p, 'inclusive'), 'inclusive'),
        active: p.active === undefined ? true : bool(p.active, 'active'),
        country: optStr(p.country, 'country') ?? null,
        state: optStr(p.state, 'state') ?? null,
        jurisdiction: optStr(p.jurisdiction, 'jurisdiction') ?? null,
        taxType: optStr(p.tax_type, 'tax_type') ?? null,
        metadata: mergeMetadata({}, p.metadata),
        seq: account.nextSeq(),
      }
      account.store.of(TAX_RATES).set(rate.id, rate)
      account.emit('tax_rate.created', () => renderTaxRate(rate), null)
      return renderTaxRate(rate)
    }),
    route('GET', '/v1/tax_rates/:id', (ctx) => {
      checkParams(ctx.params, 'TaxRateRetrieveParams', COMMON, 'GET /v1/tax_rates/{id}')
      return renderTaxRate(ctx.account.store.of(TAX_RATES).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/tax_rates/:id', (ctx) => {
      // percentage and inclusive never change: Stripe's update does not take them (SB-77).
      checkParams(
        ctx.params,
        'TaxRateUpdateParams',
        [...COMMON, 'display_name', 'active', 'metadata', ...LABELS],
        'POST /v1/tax_rates/{id}',
      )
      const {account, params: p} = ctx
      const rate = account.store.of(TAX_RATES).require(ctx.ids[0] ?? '')
      updating(
        account,
        'tax_rate.updated',
        null,
        () => renderTaxRate(rate),
        () => {
          if (p.display_name !== undefined) rate.displayName = str(p.display_name, 'display_name')
          if (p.active !== undefined) rate.active = bool(p.active, 'active')
          if (p.description !== undefined) rate.description = optStr(p.description, 'description') ?? null
          if (p.country !== undefined) rate.country = optStr(p.country, 'country') ?? null
          if (p.state !== undefined) rate.state = optStr(p.state, 'state') ?? null
          if (p.jurisdiction !== undefined) rate.jurisdiction = optStr(p.jurisdiction, 'jurisdiction') ?? null
          if (p.tax_type !== undefined) rate.taxType = optStr(p.tax_type, 'tax_type') ?? null
          rate.metadata = mergeMetadata(rate.metadata, p.metadata)
        },
      )
      return renderTaxRate(rate)
    }),
    route('GET', '/v1/tax_rates', (ctx) => {
      checkParams(
        ctx.params,
        'TaxRateListParams',
        [...COMMON, 'active', 'inclusive', ...PAGINATION],
        'GET /v1/tax_rates',
      )
      const p = ctx.params
      const active = p.active === undefined ? undefined : bool(p.active, 'active')
      const inclusive = p.inclusive === undefined ? undefined : bool(p.inclusive, 'inclusive')
      return list(
        ctx,
        filter(
          ctx.account.store.of(TAX_RATES).values(),
          (rate) =>
            (active === undefined || rate.active === active) &&
            (inclusive === undefined || rate.inclusive === inclusive),
        ),
        renderTaxRate,
      )
    }),
  ],
}
