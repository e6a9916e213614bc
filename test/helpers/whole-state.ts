import type {RunningEmulator} from '../../src/emulator/server.js'

/**
 * Everything an emulator's account holds, read without a request: every non-empty collection and
 * index, the event log and the saved idempotent results (SB-A1, SB-A6). A deep copy: records change
 * in place, so a state read earlier must not follow them.
 */
export function wholeState(running: RunningEmulator) {
  const {collections, indexes} = running.account.store.contents()
  return structuredClone({
    collections: Object.fromEntries(
      [...collections]
        .filter(([, collection]) => collection.size > 0)
        .map(([name, collection]) => [name, Object.fromEntries(collection.entries())]),
    ),
    indexes: Object.fromEntries(
      [...indexes]
        .map(([name, index]) => [name, Object.fromEntries(index.keys())] as const)
        .filter(([, keys]) => Object.keys(keys).length > 0),
    ),
    events: [...running.events.log.newestFirst()],
    idempotency: Object.fromEntries(running.idempotency),
  })
}
