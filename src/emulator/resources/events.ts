import type {Account} from '../account.js'
import {notModelled} from '../errors.js'
import {AccountEvents} from '../events/account-events.js'
import {listEvents, retrieveEvent} from '../events/events-api.js'
import {type Resource, route} from '../resource.js'

/** The account's event log and webhooks: the EventSink startEmulator gives the account (SB-E1). */
export function eventsOf(account: Account): AccountEvents {
  if (account.events instanceof AccountEvents) return account.events
  throw notModelled('/v1/events on an account started without an event log')
}

/** `/v1/events` (SB-E3). */
export const events: Resource = {
  object: 'event',
  idPrefixes: ['evt_'],
  documentedParams: {file: 'Events.d.ts', interfaces: ['EventListParams', 'EventRetrieveParams']},
  routes: [
    route('GET', '/v1/events', (ctx) => listEvents(eventsOf(ctx.account).log, ctx.params)),
    route('GET', '/v1/events/:id', (ctx) => retrieveEvent(eventsOf(ctx.account).log, ctx.ids[0] ?? '', ctx.params)),
  ],
}
