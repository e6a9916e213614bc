import type {ApiObject} from '../../resource.js'
import type {VersionChange} from '../change.js'

/** A basil tax entry (`taxes[]`, `total_taxes[]`) as the older `tax_amounts[]` entry. */
function taxAmount(tax: ApiObject): ApiObject {
  return {
    amount: tax.amount,
    inclusive: tax.tax_behavior === 'inclusive',
    tax_rate: (tax.tax_rate_details as {tax_rate?: unknown} | null)?.tax_rate ?? null,
    taxability_reason: tax.taxability_reason ?? null,
    taxable_amount: tax.taxable_amount ?? null,
  }
}

/** Before basil an invoice's taxes are `total_tax_amounts` and a line's `tax_amounts`; basil renamed and reshaped them (SB-V16). */
export const invoiceTaxes: VersionChange = {
  version: '2025-03-31.basil',
  name: 'invoice-taxes',
  rule: 'SB-V16',
  down: {
    invoice(invoice) {
      const taxes = (invoice.total_taxes as ApiObject[] | undefined) ?? []
      // `tax`: the tax added on top, null without any.
      invoice.tax =
        taxes.length === 0
          ? null
          : taxes.filter((tax) => tax.tax_behavior !== 'inclusive').reduce((sum, tax) => sum + Number(tax.amount), 0)
      invoice.total_tax_amounts = ((invoice.total_taxes as ApiObject[] | undefined) ?? []).map(taxAmount)
      delete invoice.total_taxes
    },
    line_item(line) {
      line.tax_amounts = ((line.taxes as ApiObject[] | undefined) ?? []).map(taxAmount)
      delete line.taxes
    },
  },
}
