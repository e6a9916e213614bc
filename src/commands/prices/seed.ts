import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {outFile} from '../../files/formats.js'
import {type SeedPricesResult, seedPrices} from '../../prices/seed.js'
import {formatTable, formatUsd} from '../../render/table.js'

export default class PricesSeed extends BaseCommand<SeedPricesResult> {
  static summary = 'Create the plans\' products and monthly per-screen prices, and write stripe_prices.json'

  static description = `Idempotent: each price has a stable lookup key, so a re-run finds the existing prices and creates nothing.

If a plan's amount changed in the config, a new price takes over the lookup key and the old one is archived (a Stripe price's amount can never change).`

  static examples = [
    '<%= config.bin %> prices seed',
    '<%= config.bin %> prices seed --api-base http://127.0.0.1:12111 --api-key sk_test_anything',
    '<%= config.bin %> prices seed --json > prices.json',
  ]

  static flags = {...stripeFlags, ...configFlags, ...outDirFlags}

  async run(): Promise<SeedPricesResult> {
    const {flags} = await this.parse(PricesSeed)
    const {config} = await this.loadConfig(flags)
    const {gateway} = this.connect(flags, config.scheduler)
    const result = await seedPrices(gateway, config.plans, {file: outFile(this.outDir(flags), 'prices'), apiBase: flags['api-base'], now: new Date()})
    this.say(
      formatTable(
        ['Plan', '$/screen/mo', 'Product', 'Price', 'Status'],
        result.plans.map((plan) => [plan.name, formatUsd(plan.unitAmount), plan.productId, plan.priceId, plan.outcome === 'replaced' ? `replaced ${plan.replacedPriceId}` : plan.outcome]),
      ),
    )
    this.say(`\nWrote ${result.file}`)
    return result
  }
}
