import {checkParams} from '../params.js'
import {PAGINATION, type Resource, list, route} from '../resource.js'
import {renderEndpoint} from '../events/webhook-endpoints.js'
import {eventsOf} from './events.js'

/** `/v1/webhook_endpoints` (SB-E5): the records live with the account's event log, which delivers to them. */
export const webhookEndpoints: Resource = {
  object: 'webhook_endpoint',
  idPrefixes: ['we_'],
  documentedParams: {
    file: 'WebhookEndpoints.d.ts',
    interfaces: [
      'WebhookEndpointCreateParams',
      'WebhookEndpointUpdateParams',
      'WebhookEndpointListParams',
      'WebhookEndpointRetrieveParams',
      'WebhookEndpointDeleteParams',
    ],
  },
  routes: [
    route('POST', '/v1/webhook_endpoints', (ctx) => eventsOf(ctx.account).endpoints.create(ctx.params)),
    route('GET', '/v1/webhook_endpoints', (ctx) => {
      checkParams(ctx.params, 'WebhookEndpointListParams', ['expand', ...PAGINATION], 'GET /v1/webhook_endpoints')
      return list(ctx, eventsOf(ctx.account).endpoints.all(), renderEndpoint)
    }),
    route('GET', '/v1/webhook_endpoints/:id', (ctx) =>
      eventsOf(ctx.account).endpoints.retrieve(ctx.ids[0] ?? '', ctx.params),
    ),
    route('POST', '/v1/webhook_endpoints/:id', (ctx) =>
      eventsOf(ctx.account).endpoints.update(ctx.ids[0] ?? '', ctx.params),
    ),
    route('DELETE', '/v1/webhook_endpoints/:id', (ctx) =>
      eventsOf(ctx.account).endpoints.delete(ctx.ids[0] ?? '', ctx.params),
    ),
  ],
}
