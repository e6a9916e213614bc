import type {PricesFile} from '../files/formats.js'
import type {LedgerFile} from '../files/ledger.js'

/**
 * The plans as views name and order them: the catalog's order (stripe_prices.json, cheapest
 * first, as the config lists them) and display names, so colours and order are the same in every
 * currency and every report. Without the catalog: by monthly list price, names from the keys.
 */
export interface PlanCatalog {
  /** Plan keys in display order: every plan of the catalog, then any other the ledger holds. */
  order: string[]
  names: Record<string, string>
}

/** `pro_plus` → `Pro Plus`: for a plan the catalog does not name. */
export function nameFromKey(key: string): string {
  return key
    .split(/[_\-\s]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ')
}

export function planCatalog(ledger: LedgerFile, prices?: Pick<PricesFile, 'plans'>): PlanCatalog {
  const names: Record<string, string> = {}
  const order: string[] = []
  for (const plan of prices?.plans ?? []) {
    if (names[plan.key] !== undefined) continue
    names[plan.key] = plan.name
    order.push(plan.key)
  }
  // Plans the catalog does not list, cheapest monthly list price first (the ledger's own facts).
  const cheapest = new Map<string, number>()
  for (const item of ledger.items) {
    if (names[item.plan] !== undefined) continue
    const perMonth = item.quantity === 0 ? item.unit_amount : item.list_mrr / item.quantity
    cheapest.set(item.plan, Math.min(cheapest.get(item.plan) ?? Number.POSITIVE_INFINITY, perMonth))
  }
  for (const [plan] of [...cheapest].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))) {
    names[plan] = nameFromKey(plan)
    order.push(plan)
  }
  return {order, names}
}
