export type {VersionedRequest} from './change.js'
export {CHANGES} from './changes.js'
export {
  type ApiVersion,
  LATEST_VERSION,
  OLDEST_VERSION,
  VERSIONS,
  accountVersion,
  isServed,
  resolveVersion,
} from './registry.js'
export {renderAt, upgradeRequest} from './render.js'
