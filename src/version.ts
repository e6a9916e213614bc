import {readFileSync} from 'node:fs'

/** package.json sits two levels above both src/x.ts and dist/x.js. */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string
  version: string
  homepage?: string
}

export const PACKAGE_NAME = pkg.name
export const PACKAGE_VERSION = pkg.version
