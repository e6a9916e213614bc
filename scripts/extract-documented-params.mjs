// Regenerates src/emulator/documented-params.json from the installed stripe SDK's types, which are
// generated from Stripe's API spec: the emulator accepts exactly these top-level parameters.
// Run after upgrading `stripe`: node scripts/extract-documented-params.mjs
import {readFileSync, writeFileSync} from 'node:fs'

const dir = new URL('../node_modules/stripe/esm/resources/', import.meta.url)
const sources = {
  Customers: 'Customers.d.ts', Products: 'Products.d.ts', Prices: 'Prices.d.ts', PaymentMethods: 'PaymentMethods.d.ts',
  Subscriptions: 'Subscriptions.d.ts', Invoices: 'Invoices.d.ts', TestClocks: 'TestHelpers/TestClocks.d.ts',
  Events: 'Events.d.ts', WebhookEndpoints: 'WebhookEndpoints.d.ts',
}
const wanted = {
  Customers: ['CustomerCreateParams', 'CustomerUpdateParams', 'CustomerListParams', 'CustomerRetrieveParams', 'CustomerListPaymentMethodsParams'],
  Products: ['ProductCreateParams', 'ProductUpdateParams', 'ProductListParams', 'ProductRetrieveParams'],
  Prices: ['PriceCreateParams', 'PriceUpdateParams', 'PriceListParams', 'PriceRetrieveParams'],
  PaymentMethods: ['PaymentMethodCreateParams', 'PaymentMethodAttachParams', 'PaymentMethodDetachParams', 'PaymentMethodListParams', 'PaymentMethodRetrieveParams'],
  Subscriptions: ['SubscriptionCreateParams', 'SubscriptionUpdateParams', 'SubscriptionListParams', 'SubscriptionRetrieveParams', 'SubscriptionCancelParams'],
  Invoices: ['InvoiceListParams', 'InvoiceRetrieveParams'],
  TestClocks: ['TestClockCreateParams', 'TestClockAdvanceParams', 'TestClockListParams', 'TestClockRetrieveParams', 'TestClockDeleteParams'],
  Events: ['EventListParams', 'EventRetrieveParams'],
  WebhookEndpoints: ['WebhookEndpointCreateParams', 'WebhookEndpointUpdateParams', 'WebhookEndpointListParams', 'WebhookEndpointRetrieveParams', 'WebhookEndpointDeleteParams'],
}
const pagination = ['ending_before', 'limit', 'starting_after']
const out = {}
for (const [file, names] of Object.entries(wanted)) {
  const text = readFileSync(new URL(sources[file], dir), 'utf8')
  for (const name of names) {
    const start = new RegExp(`^(\\s*)(?:export )?interface ${name}( extends PaginationParams)? \\{$`, 'm').exec(text)
    if (!start) throw new Error(`${name} not found in ${sources[file]}`)
    const indent = start[1] + '    '
    const body = text.slice(start.index + start[0].length, text.indexOf(`\n${start[1]}}`, start.index))
    const params = [...body.matchAll(new RegExp(`^${indent}([a-z_]+)\\??:`, 'gm'))].map((m) => m[1])
    out[name] = [...new Set([...params, ...(start[2] ? pagination : [])])].sort()
  }
}
writeFileSync(new URL('../src/emulator/documented-params.json', import.meta.url), JSON.stringify(out, null, 1) + '\n')
console.log(Object.entries(out).map(([k, v]) => `${k}: ${v.length}`).join('\n'))

// The event types a webhook endpoint may enable: Stripe's own list, from the same generated types.
const endpoints = readFileSync(new URL('WebhookEndpoints.d.ts', dir), 'utf8')
const enabled = /type EnabledEvent = ([^;]+);/.exec(endpoints)
if (!enabled) throw new Error('EnabledEvent not found in WebhookEndpoints.d.ts')
const eventTypes = [...enabled[1].matchAll(/'([^']+)'/g)].map((m) => m[1]).filter((type) => type !== '*')
writeFileSync(new URL('../src/emulator/events/event-types.json', import.meta.url), JSON.stringify(eventTypes, null, 1) + '\n')
console.log(`event types: ${eventTypes.length}`)
