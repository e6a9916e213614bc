import {describe, expect, it} from 'vitest'

import {knownKeysAt, ConfigSchema} from '../../src/config/schema.js'
import {closestName} from '../../src/did-you-mean.js'

describe('closestName', () => {
  it('finds a missing, extra or swapped letter, and guesses nothing for a far-off name', () => {
    const flags = ['customers', 'months', 'seed', 'scenario', 'json', 'rate']
    expect(closestName('customer', flags)).toBe('customers')
    expect(closestName('custmers', flags)).toBe('customers')
    expect(closestName('mnoths', flags)).toBe('months')
    expect(closestName('Seed', flags)).toBe('seed')
    expect(closestName('xyz', flags)).toBeUndefined()
    expect(closestName('x', flags)).toBeUndefined()
  })
})

describe('knownKeysAt', () => {
  it('lists the keys the config allows where a key stands: the top, a list item, a record value', () => {
    expect(knownKeysAt(ConfigSchema, [])).toContain('customers')
    expect(knownKeysAt(ConfigSchema, ['plans', 0])).toContain('churnWeight')
    expect(knownKeysAt(ConfigSchema, ['scheduler'])).toContain('maxRps')
    expect(knownKeysAt(ConfigSchema, ['currencies', 'eur'])).toContain('priceFactor')
    expect(knownKeysAt(ConfigSchema, ['customers'])).toEqual([])
  })
})
