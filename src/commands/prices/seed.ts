import {Flags} from '@oclif/core'

import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {applyScenario} from '../../config/scenarios.js'
import {outFile} from '../../files/formats.js'
import {claimPricesOutDir} from '../../prices/out-dir.js'
import {pricesSeedCommand, seedPricesUntilStopped} from '../../prices/progress.js'
import type {SeedPricesResult} from '../../prices/seed.js'
import {formatMoney} from '../../render/money.js'
import {formatTable} from '../../render/table.js'

export default class PricesSeed extends BaseCommand<SeedPricesResult> {
  static summary =
    "Create the plans' products and prices (and a scenario's coupons and promotion codes), and write stripe_prices.json"

  static description = `Idempotent: each price has a stable lookup key, so a re-run finds the existing prices and creates nothing.

If a plan's amount changed in the config, a new price takes over the lookup key and the old one is archived (a Stripe price's amount can never change).

With --scenario (or a config with scenario sections) it also seeds what the scenario needs: yearly and per-currency prices, coupons (id stripe_seed_<id>) and promotion codes, listed under "catalog" in stripe_prices.json. A coupon already on the account with other terms is refused: Stripe cannot edit a coupon's terms.

Each price, coupon and promotion code it creates gets a line on stderr. Ctrl-C stops it cleanly (exit 130): it says how far it got, and running it again finishes, reusing what exists.`

  static examples = [
    '<%= config.bin %> prices seed',
    '<%= config.bin %> prices seed --scenario saas',
    'STRIPE_API_BASE=http://localhost:12111 <%= config.bin %> prices seed',
    '<%= config.bin %> prices seed --json > prices.json',
  ]

  static flags = {
    ...stripeFlags,
    ...configFlags,
    ...outDirFlags,
    scenario: Flags.string({
      description:
        'Also seed what this named scenario needs: yearly and per-currency prices, coupons, promotion codes (an unknown name lists them)',
      env: 'STRIPE_SEED_SCENARIO',
    }),
  }

  async run(): Promise<SeedPricesResult> {
    const {flags} = await this.parse(PricesSeed)
    const {config: fileConfig} = await this.loadConfig(flags)
    const config = flags.scenario ? applyScenario(fileConfig, flags.scenario) : fileConfig
    const {gateway, keySource} = this.connect(flags, config.scheduler)
    const outDir = this.outDir(flags)
    // Before any request: an out-dir that cannot take stripe_prices.json fails now, not after the prices exist.
    const lock = await claimPricesOutDir(outDir)
    try {
      const gone = lock.tookOverFrom
      if (gone)
        this.notice(`Took over the lock of a stripe-seed process that is gone (pid ${gone.pid} on ${gone.host})`)
      const result = await seedPricesUntilStopped(gateway, config, {
        file: outFile(outDir, 'prices'),
        apiBase: flags['api-base'],
        now: new Date(),
        rerun: pricesSeedCommand({
          bin: this.config.bin,
          scenario: flags.scenario,
          outDir: flags['out-dir'],
          config: flags.config,
          apiBase: flags['api-base'],
          keySource,
          stripeCliProfile: flags['stripe-cli-profile'],
        }),
        notice: (line) => this.notice(line),
        beforeExit: () => lock.releaseSync(),
      })
      this.say(result.catalog ? renderCatalog(result.catalog) : renderPlans(result))
      this.say(`\nWrote ${result.file}`)
      return result
    } finally {
      await lock.release()
    }
  }
}

function status(seeded: {outcome: string; replacedPriceId?: string}): string {
  return seeded.outcome === 'replaced' ? `replaced ${seeded.replacedPriceId}` : seeded.outcome
}

function renderPlans(result: SeedPricesResult): string {
  return formatTable(
    ['Plan', 'Per screen/mo', 'Product', 'Price', 'Status'],
    result.plans.map((plan) => [
      plan.name,
      formatMoney(plan.unitAmount, plan.currency),
      plan.productId,
      plan.priceId,
      status(plan),
    ]),
    ['left', 'right'],
  )
}

function renderCatalog(catalog: NonNullable<SeedPricesResult['catalog']>): string {
  const lines = [
    formatTable(
      ['Plan', 'Interval', 'Per screen', 'Lookup key', 'Price', 'Status'],
      catalog.prices.map((price) => [
        price.name,
        price.interval === 'year' ? 'yearly' : 'monthly',
        formatMoney(price.unitAmount, price.currency),
        price.lookupKey,
        price.priceId,
        status(price),
      ]),
      ['left', 'left', 'right'],
    ),
  ]
  if (catalog.coupons.length > 0)
    lines.push(
      '',
      formatTable(
        ['Coupon', 'Stripe id', 'Status'],
        catalog.coupons.map((coupon) => [coupon.key, coupon.id, coupon.outcome]),
      ),
    )
  if (catalog.promotionCodes.length > 0) {
    lines.push(
      '',
      formatTable(
        ['Promotion code', 'Coupon', 'Stripe id', 'Status'],
        catalog.promotionCodes.map((code) => [code.code, code.coupon, code.id, code.outcome]),
      ),
    )
  }
  return lines.join('\n')
}
