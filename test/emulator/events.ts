import type {EventSink, StateChange} from '../../src/emulator/event-sink.js'

/** An EventSink that keeps every state change, for asserting what the emulator announced. */
export function recordingSink(): EventSink & {changes: StateChange[]; of: (id: string) => StateChange[]} {
  const changes: StateChange[] = []
  return {
    changes,
    emit: (change) => changes.push(change),
    of: (id) => changes.filter((change) => change.object.id === id),
  }
}
