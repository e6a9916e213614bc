#!/usr/bin/env node
// Development entry: oclif runs src/ when a TypeScript loader (ts-node, tsx) is available, else the built dist/.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
