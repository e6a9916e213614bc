// The package's programmatic API: the emulator for tests and benchmarks, the planner, the file formats.
export {
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
  type RequestLogEntry,
  type FaultKind,
} from './emulator/server.js'
export {type EventSink, type StateChange} from './emulator/event-sink.js'
export {
  planScenario,
  type Scenario,
  type ScenarioInput,
  type PlannedEvent,
  type ExpectedMonth,
} from './scenario/plan.js'
export {ConfigSchema, defaultConfig, type Config} from './config/schema.js'
export {
  PricesFileSchema,
  CurrentRunFileSchema,
  SnapshotsFileSchema,
  SnapshotRowSchema,
  RunDetailsFileSchema,
  type SnapshotRow,
} from './files/formats.js'
export {summarizeMonths, mrrMovements, type MonthSummary, type Movements} from './snapshots/movements.js'
