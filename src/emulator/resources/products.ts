import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, invalid} from '../errors.js'
import {type Metadata, type Raw, bool, checkParams, mergeMetadata, optStr, required, str, strArray} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export interface ProductRecord {
  id: string
  created: number
  updated: number
  name: string
  description: string | null
  active: boolean
  metadata: Metadata
  unitLabel: string | null
  defaultPrice: string | null
  /** Plain data shown on the product only. */
  url: string | null
  images: string[]
  shippable: boolean | null
  seq: number
}

export const PRODUCTS = collectionKey<ProductRecord>('products', 'product')

export function renderProduct(product: ProductRecord): Wire<Stripe.Product> {
  return {
    id: product.id,
    object: 'product',
    active: product.active,
    created: product.created,
    default_price: product.defaultPrice,
    description: product.description,
    images: product.images,
    livemode: false,
    marketing_features: [],
    metadata: product.metadata,
    name: product.name,
    package_dimensions: null,
    shippable: product.shippable,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: product.unitLabel,
    updated: product.updated,
    url: product.url,
  }
}

/** Creates a product from `products.create` or a price's `product_data` (`prefix` names the nested params); a custom id is accepted (SB-18). */
export function addProduct(
  account: Account,
  raw: Raw,
  fields: {id?: string; name: string; description: string | null},
  prefix = '',
): ProductRecord {
  const param = (name: string) => (prefix ? `${prefix}${name}]` : name)
  const products = account.store.of(PRODUCTS)
  const id = fields.id ?? account.newId('prod_', 14)
  if (products.has(id))
    throw new ApiError(400, 'invalid_request_error', 'Product already exists.', 'resource_already_exists', param('id'))
  const now = account.wallSeconds()
  const product: ProductRecord = {
    id,
    created: now,
    updated: now,
    name: fields.name,
    description: fields.description,
    active: raw.active === undefined ? true : bool(raw.active, param('active')),
    metadata: mergeMetadata({}, raw.metadata),
    unitLabel: optStr(raw.unit_label, param('unit_label')) ?? null,
    defaultPrice: null,
    url: optStr(raw.url, param('url')) ?? null,
    images: images(raw.images),
    shippable: raw.shippable === undefined ? null : bool(raw.shippable, param('shippable')),
    seq: account.nextSeq(),
  }
  products.set(id, product)
  account.emit('product.created', () => renderProduct(product), null)
  return product
}

// statement_descriptor (it reaches charges) and tax_code (taxes) are refused as unmodelled (SB-2).
const ACCEPTED = ['name', 'description', 'metadata', 'active', 'unit_label', 'url', 'images', 'shippable'] as const

/** Up to 8 image URLs (SN23 `ProductCreateParams.images`); `''` clears them. */
function images(raw: unknown): string[] {
  const given = raw === '' ? [] : strArray(raw, 'images')
  if (given.length > 8) throw invalid('A product can have at most 8 images.', 'images')
  return given
}

export const products: Resource = {
  object: 'product',
  idPrefixes: ['prod_'],
  render: (account, id) => {
    const product = account.store.of(PRODUCTS).get(id)
    return product && renderProduct(product)
  },
  documentedParams: {
    file: 'Products.d.ts',
    interfaces: [
      'ProductCreateParams',
      'ProductUpdateParams',
      'ProductListParams',
      'ProductRetrieveParams',
      'ProductDeleteParams',
    ],
  },
  routes: [
    route('POST', '/v1/products', (ctx) => {
      checkParams(ctx.params, 'ProductCreateParams', [...COMMON, ...ACCEPTED, 'id'], 'POST /v1/products')
      return renderProduct(
        addProduct(ctx.account, ctx.params, {
          id: optStr(ctx.params.id, 'id') ?? undefined,
          name: str(required(ctx.params, 'name'), 'name'),
          description: optStr(ctx.params.description, 'description') ?? null,
        }),
      )
    }),
    route('GET', '/v1/products/:id', (ctx) => {
      checkParams(ctx.params, 'ProductRetrieveParams', COMMON, 'GET /v1/products/{id}')
      return renderProduct(ctx.account.store.of(PRODUCTS).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/products/:id', (ctx) => {
      checkParams(ctx.params, 'ProductUpdateParams', [...COMMON, ...ACCEPTED], 'POST /v1/products/{id}')
      const {account, params} = ctx
      const product = account.store.of(PRODUCTS).require(ctx.ids[0] ?? '')
      updating(
        account,
        'product.updated',
        null,
        () => renderProduct(product),
        () => {
          if (params.name !== undefined) product.name = str(params.name, 'name')
          if (params.description !== undefined) product.description = optStr(params.description, 'description') ?? null
          if (params.active !== undefined) product.active = bool(params.active, 'active')
          if (params.unit_label !== undefined) product.unitLabel = optStr(params.unit_label, 'unit_label') ?? null
          if (params.url !== undefined) product.url = optStr(params.url, 'url') ?? null
          if (params.images !== undefined) product.images = images(params.images)
          if (params.shippable !== undefined) product.shippable = bool(params.shippable, 'shippable')
          product.metadata = mergeMetadata(product.metadata, params.metadata)
          product.updated = account.wallSeconds()
        },
      )
      return renderProduct(product)
    }),
    route('DELETE', '/v1/products/:id', (ctx) => {
      checkParams(ctx.params, 'ProductDeleteParams', [], 'DELETE /v1/products/{id}')
      const {account} = ctx
      const product = account.store.of(PRODUCTS).require(ctx.ids[0] ?? '')
      account.signal('productDeleting', {productId: product.id})
      const last = renderProduct(product)
      account.store.of(PRODUCTS).delete(product.id)
      account.emit('product.deleted', () => last, null)
      return {id: product.id, object: 'product', deleted: true} satisfies Wire<Stripe.DeletedProduct>
    }),
    route('GET', '/v1/products', (ctx) => {
      checkParams(ctx.params, 'ProductListParams', [...COMMON, 'active', 'ids', ...PAGINATION], 'GET /v1/products')
      const active = ctx.params.active === undefined ? undefined : bool(ctx.params.active, 'active')
      const ids = new Set(strArray(ctx.params.ids, 'ids'))
      return list(
        ctx,
        filter(
          ctx.account.store.of(PRODUCTS).values(),
          (p) => (active === undefined || p.active === active) && (ids.size === 0 || ids.has(p.id)),
        ),
        renderProduct,
      )
    }),
  ],
}
