#!/usr/bin/env node
// Runs the TypeScript sources directly (node >= 22.6 strips types; tsx otherwise).
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
