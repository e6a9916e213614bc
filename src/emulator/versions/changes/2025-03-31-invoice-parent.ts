import type {ApiObject} from '../../resource.js'
import type {VersionChange} from '../change.js'

type Parent = Record<string, Record<string, unknown> | null | string> | null | undefined

/**
 * Before basil invoices, invoice items and invoice lines name what made them at the top level
 * (`subscription`, `subscription_item`, `invoice_item`, `proration`, `type`); basil moved this
 * under `parent` (SB-V10).
 */
export const invoiceParent: VersionChange = {
  version: '2025-03-31.basil',
  name: 'invoice-parent',
  rule: 'SB-V10',
  down: {
    invoice(invoice) {
      const details = (invoice.parent as Parent)?.subscription_details as ApiObject | null | undefined
      invoice.subscription = details?.subscription ?? null
      invoice.subscription_details = details ? {metadata: details.metadata ?? {}} : {metadata: null}
      // A preview of a change names its proration time at the top level too (SB-U12).
      if (details?.subscription_proration_date !== undefined)
        invoice.subscription_proration_date = details.subscription_proration_date
      invoice.quote = null
      delete invoice.parent
    },
    invoiceitem(item) {
      const details = (item.parent as Parent)?.subscription_details as ApiObject | null | undefined
      item.subscription = details?.subscription ?? null
      item.subscription_item = details?.subscription_item ?? null
      delete item.parent
    },
    line_item(line) {
      const parent = line.parent as Parent
      const details = (parent?.subscription_item_details ?? parent?.invoice_item_details ?? null) as ApiObject | null
      line.invoice_item = details?.invoice_item ?? null
      // A line from an invoice item (prorations included) was `invoiceitem`; a subscription item's own, `subscription`.
      line.type = line.invoice_item === null ? 'subscription' : 'invoiceitem'
      line.subscription_item = details?.subscription_item ?? null
      line.proration = details?.proration ?? false
      line.proration_details = details?.proration_details ?? {credited_items: null}
      if (line.subscription === undefined) line.subscription = details?.subscription ?? null
      line.tax_rates = []
      delete line.parent
    },
  },
}
