import {describe, expect, it} from 'vitest'

import {describeMonths} from '../../src/render/month.js'

describe('describeMonths: the months an error names', () => {
  it('a run of months as a range, across a year end', () => {
    expect(describeMonths(['2025-11', '2025-12', '2026-01'])).toBe('2025-11 to 2026-01')
  })
  it('months with a gap one by one, so none is implied that is not there', () => {
    expect(describeMonths(['2026-01', '2026-02', '2026-04'])).toBe('2026-01, 2026-02, 2026-04')
  })
  it('one month, or none', () => {
    expect(describeMonths(['2026-01'])).toBe('only 2026-01')
    expect(describeMonths([])).toBe('no months')
  })
})
