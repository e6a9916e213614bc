// Regenerates src/emulator/documented-params.json from the installed stripe SDK's types, which are
// generated from Stripe's API spec: the emulator accepts exactly these top-level parameters (SB-2).
// Which interfaces to read comes from each resource module's `documentedParams` (the registry's
// modules in src/emulator/resources/); src/emulator/stripe-endpoints.json, every endpoint the SDK
// calls; and the event types webhook endpoints accept. Run after adding a resource or upgrading `stripe`:
//   node scripts/extract-documented-params.mjs
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'

const sdk = new URL('../node_modules/stripe/esm/resources/', import.meta.url)
const modules = new URL('../src/emulator/resources/', import.meta.url)
const declared = /documentedParams:\s*\{\s*file:\s*'([^']+)',\s*interfaces:\s*\[([^\]]*)\],?\s*\}/g
const pagination = ['ending_before', 'limit', 'starting_after']
const out = {}
for (const name of readdirSync(modules, {recursive: true})
  .filter((file) => file.endsWith('.ts'))
  .sort()) {
  // A module may declare several resources (billing-portal.ts: configurations and sessions).
  for (const match of readFileSync(new URL(name, modules), 'utf8').matchAll(declared)) {
    const file = match[1]
    // `Checkout.SessionCreateParams` names SessionCreateParams, keyed apart from BillingPortal's.
    const interfaces = [...match[2].matchAll(/'([A-Za-z.]+)'/g)].map((m) => m[1])
    const text = readFileSync(new URL(file, sdk), 'utf8')
    for (const key of interfaces) {
      const iface = key.split('.').at(-1)
      const start = new RegExp(`^(\\s*)(?:export )?interface ${iface}( extends PaginationParams)? \\{$`, 'm').exec(text)
      if (!start) throw new Error(`${iface} not found in ${file} (declared by resources/${name})`)
      const indent = start[1] + '    '
      const body = text.slice(start.index + start[0].length, text.indexOf(`\n${start[1]}}`, start.index))
      const params = [...body.matchAll(new RegExp(`^${indent}([a-z_]+)\\??:`, 'gm'))].map((m) => m[1])
      out[key] = [...new Set([...params, ...(start[2] ? pagination : [])])].sort()
    }
  }
}
writeFileSync(new URL('../src/emulator/documented-params.json', import.meta.url), JSON.stringify(out, null, 1) + '\n')
console.log(
  Object.entries(out)
    .map(([k, v]) => `${k}: ${v.length}`)
    .join('\n'),
)

// The event types a webhook endpoint may enable (SB-E6): Stripe's own list, from the same generated types.
const webhookEndpoints = readFileSync(new URL('WebhookEndpoints.d.ts', sdk), 'utf8')
const enabled = /type EnabledEvent = ([^;]+);/.exec(webhookEndpoints)
if (!enabled) throw new Error('EnabledEvent not found in WebhookEndpoints.d.ts')
const eventTypes = [...enabled[1].matchAll(/'([^']+)'/g)].map((m) => m[1]).filter((type) => type !== '*')
writeFileSync(
  new URL('../src/emulator/events/event-types.json', import.meta.url),
  JSON.stringify(eventTypes, null, 1) + '\n',
)
console.log(`event types: ${eventTypes.length}`)
// Every endpoint the SDK knows, as `METHOD /v1/path/{id}`: those the emulator has no route for get a
// 501 naming them (SB-1) instead of the 404 an unknown URL gets.
const endpoints = new Set()
const call = /_makeRequest\('(GET|POST|DELETE)', [`']([^`']+)[`']/g
const walk = (url) => {
  for (const entry of readdirSync(url, {withFileTypes: true})) {
    if (entry.isDirectory()) walk(new URL(`${entry.name}/`, url))
    else if (entry.name.endsWith('.js'))
      for (const [, method, path] of readFileSync(new URL(entry.name, url), 'utf8').matchAll(call)) {
        if (path.startsWith('/v1/')) endpoints.add(`${method} ${path.replace(/\$\{[^}]+\}/g, '{id}')}`)
      }
  }
}
walk(sdk)
writeFileSync(
  new URL('../src/emulator/stripe-endpoints.json', import.meta.url),
  JSON.stringify([...endpoints].sort(), null, 1) + '\n',
)
console.log(`endpoints: ${endpoints.size}`)
