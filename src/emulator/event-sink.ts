/**
 * The seam between the emulator's resources (which change state) and its events and webhooks
 * (which record and deliver those changes). Resources call `emit` once per state change, with the
 * object as rendered at that moment; the event log decides ids, timestamps and delivery.
 */
export interface StateChange {
  /** Stripe's event type, e.g. `customer.subscription.updated`. */
  type: string
  /** The object as the API renders it right after the change. */
  object: Record<string, unknown>
  /** On `*.updated`: the changed top-level fields with their values before the change. */
  previousAttributes?: Record<string, unknown>
  /** Seconds: the frozen time of the object's test clock for objects on a clock, else wall time (SB-68: our choice, Stripe does not say). */
  created: number
  /** The API request that caused it; null for changes made by a test clock's time engine. */
  request: {id: string; idempotencyKey: string | null} | null
}

export interface EventSink {
  emit(change: StateChange): void
}

/** For engines that record nothing (unit tests of a single rule). */
export const NO_EVENTS: EventSink = {emit() {}}
