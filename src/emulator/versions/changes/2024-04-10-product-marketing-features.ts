import type {VersionChange} from '../change.js'

const PRODUCT_WRITES = /^\/v1\/products(\/[^/]+)?$/

/** Before 2024-04-10 a product's `marketing_features` were called `features`, as a field and a parameter (SB-V14). */
export const productMarketingFeatures: VersionChange = {
  version: '2024-04-10',
  name: 'product-marketing-features',
  rule: 'SB-V14',
  up(request) {
    if (request.method !== 'POST' || !PRODUCT_WRITES.test(request.path)) return
    if (request.params.features === undefined) return
    request.params.marketing_features = request.params.features
    delete request.params.features
  },
  down: {
    product(product) {
      product.features = product.marketing_features ?? []
      delete product.marketing_features
    },
  },
}
