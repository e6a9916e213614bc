// Regenerates, from the installed stripe SDK (generated from Stripe's API spec): the event types webhook
// endpoints accept (src/emulator/events/event-types.json) and src/emulator/stripe-endpoints.json, every
// endpoint the SDK calls. The parameters each endpoint takes come from scripts/extract-stripe-contract.mjs
// (src/emulator/stripe-contract.json). Run after upgrading `stripe`:
//   node scripts/extract-endpoints-and-events.mjs
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'

const sdk = new URL('../node_modules/stripe/esm/resources/', import.meta.url)
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
