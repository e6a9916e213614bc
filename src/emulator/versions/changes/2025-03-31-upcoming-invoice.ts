import {notModelled} from '../../errors.js'
import type {VersionChange} from '../change.js'

/**
 * Before basil `GET /v1/invoices/upcoming` (and `/lines`) preview the next invoice; basil replaced
 * them with `POST /v1/invoices/create_preview` (SB-V21). Neither is modelled: refused by name,
 * rather than read as an invoice whose id is `upcoming`.
 */
export const upcomingInvoice: VersionChange = {
  version: '2025-03-31.basil',
  name: 'upcoming-invoice',
  rule: 'SB-V21',
  up(request) {
    if (request.method === 'GET' && /^\/v1\/invoices\/upcoming(\/lines)?$/.test(request.path))
      throw notModelled(
        `the upcoming invoice (GET ${request.path}, replaced by POST /v1/invoices/create_preview in basil)`,
      )
  },
}
