// Regenerates src/emulator/stripe-contract.json: for each parameter interface the emulator's resource
// modules declare (`documentedParams`), the full parameter tree Stripe's API spec gives it (nested
// objects, arrays, maps, strings, numbers, booleans, enums, '' where a field can be emptied), and for
// each object the emulator renders its expandable and includable fields (SB-C7).
//
// Source: the API spec stripe-node is generated from (node_modules/stripe/OPENAPI_VERSION, the version
// it pins), read through the SDK's generated declarations with the TypeScript compiler: the spec's own
// JSON for that version is not published in a form this build can fetch. The declarations are typed
// resolved by the compiler, not scraped with patterns. Run after adding a resource or upgrading stripe:
//   node scripts/extract-stripe-contract.mjs
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import ts from 'typescript'

const sdk = new URL('../node_modules/stripe/esm/resources/', import.meta.url)
const modules = new URL('../src/emulator/resources/', import.meta.url)
const declared = /documentedParams:\s*\{\s*file:\s*'([^']+)',\s*interfaces:\s*\[([^\]]*)\],?\s*\}/g

/** Which interfaces to read, by file, from the resource modules' `documentedParams`. */
const wanted = new Map()
for (const name of readdirSync(modules, {recursive: true})
  .filter((file) => file.endsWith('.ts'))
  .sort()) {
  for (const match of readFileSync(new URL(name, modules), 'utf8').matchAll(declared)) {
    const list = wanted.get(match[1]) ?? []
    list.push(...[...match[2].matchAll(/'([A-Za-z.]+)'/g)].map((m) => m[1]))
    wanted.set(match[1], list)
  }
}

// The objects whose expandable and includable fields the emulator needs: its resources' interfaces.
const OBJECTS = {
  'Customers.d.ts': ['Customer'],
  'Prices.d.ts': ['Price'],
  'Plans.d.ts': ['Plan'],
  'Products.d.ts': ['Product'],
  'Subscriptions.d.ts': ['Subscription'],
  'SubscriptionItems.d.ts': ['SubscriptionItem'],
  'SubscriptionSchedules.d.ts': ['SubscriptionSchedule'],
  'Invoices.d.ts': ['Invoice'],
  'InvoiceItems.d.ts': ['InvoiceItem'],
  'InvoicePayments.d.ts': ['InvoicePayment'],
  'PaymentIntents.d.ts': ['PaymentIntent'],
  'PaymentMethods.d.ts': ['PaymentMethod'],
  'SetupIntents.d.ts': ['SetupIntent'],
  'Charges.d.ts': ['Charge'],
  'Refunds.d.ts': ['Refund'],
  'CreditNotes.d.ts': ['CreditNote'],
  'Coupons.d.ts': ['Coupon'],
  'PromotionCodes.d.ts': ['PromotionCode'],
  'Discounts.d.ts': ['Discount'],
  'TaxRates.d.ts': ['TaxRate'],
  'WebhookEndpoints.d.ts': ['WebhookEndpoint'],
  'Checkout/Sessions.d.ts': ['Session'],
  'TestHelpers/TestClocks.d.ts': ['TestClock'],
}

const files = [...new Set([...wanted.keys(), ...Object.keys(OBJECTS)])]
const program = ts.createProgram(
  files.map((file) => fileURLToPath(new URL(file, sdk))),
  {
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  },
)
const checker = program.getTypeChecker()

/** An interface by its key: `CustomerCreateParams` at the top of the file, `Checkout.SessionCreateParams` in its namespace. */
function topInterface(file, key) {
  const source = program.getSourceFile(fileURLToPath(new URL(file, sdk)))
  if (!source) throw new Error(`${file} not found in node_modules/stripe`)
  const path = key.split('.')
  const name = path.at(-1)
  const find = (statements) => statements.find((node) => ts.isInterfaceDeclaration(node) && node.name.text === name)
  let found = find(source.statements)
  // The SDK declares some under a top-level namespace (`namespace BillingPortal`, `namespace Checkout`).
  for (const node of source.statements) {
    if (found) break
    if (ts.isModuleDeclaration(node) && node.body && ts.isModuleBlock(node.body))
      if (path.length === 1 || node.name.text === path[0]) found = find(node.body.statements)
  }
  if (!found) throw new Error(`${key} not found in ${file}`)
  return checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(found.name))
}

const isLiteral = (type) => type.isStringLiteral()
/** `OtherString` (string & Record<never, never>), the SDK's opening of an enum, and branded strings such as Decimal. */
const isStringLike = (type) => type.isIntersection() && type.types.some((member) => member.flags & ts.TypeFlags.String)
/** A parameter's type as a small schema: what params.ts validates a request against. */
function schema(type, depth = 0) {
  if (depth > 12) return {type: 'any'}
  // The SDK's Decimal (`unit_amount_decimal`): a decimal number on the wire.
  if (type.aliasSymbol?.getName() === 'Decimal') return {type: 'number'}
  if (type.isUnion()) {
    // The SDK opens every enum with OtherString; the spec's enum is closed, so it is dropped beside literals.
    const all = type.types.filter((member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)))
    const members = all.some(isLiteral) ? all.filter((member) => !isStringLike(member)) : all
    const literals = members.filter(isLiteral).map((member) => member.value)
    const others = members.filter((member) => !isLiteral(member))
    // `boolean` is the union true | false.
    const booleans = others.filter((member) => member.flags & ts.TypeFlags.BooleanLiteral)
    const rest = others.filter((member) => !(member.flags & ts.TypeFlags.BooleanLiteral))
    const emptyable = literals.includes('')
    const values = literals.filter((value) => value !== '')
    const anyOf = [
      ...(values.length > 0 ? [{type: 'string', enum: values.sort()}] : []),
      ...(booleans.length > 0 ? [{type: 'boolean'}] : []),
      ...rest.map((member) => schema(member, depth + 1)),
    ]
    // An enum joined with `string` is any string.
    const plain = anyOf.some((member) => member.type === 'string' && !member.enum)
    const merged = plain ? anyOf.filter((member) => !(member.type === 'string' && member.enum)) : anyOf
    const one = merged.length === 1 ? merged[0] : {type: 'union', anyOf: merged}
    return emptyable ? {...one, emptyable: true} : one
  }
  if (type.flags & ts.TypeFlags.String || isStringLike(type)) return {type: 'string'}
  if (isLiteral(type))
    return type.value === '' ? {type: 'string', enum: [], emptyable: true} : {type: 'string', enum: [type.value]}
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return {type: 'number'}
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return {type: 'boolean'}
  if (checker.isArrayType(type)) return {type: 'array', items: schema(checker.getTypeArguments(type)[0], depth + 1)}
  if (type.flags & ts.TypeFlags.Object) {
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String)
    const properties = checker.getPropertiesOfType(type)
    if (index && properties.length === 0) return {type: 'map', values: schema(index.type, depth + 1)}
    const out = {}
    const required = []
    for (const property of properties) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0]
      if (!declaration || !ts.isPropertySignature(declaration)) continue
      out[property.getName()] = schema(checker.getTypeOfSymbolAtLocation(property, declaration), depth + 1)
      if (!(property.flags & ts.SymbolFlags.Optional)) required.push(property.getName())
    }
    return {type: 'object', properties: out, ...(required.length > 0 ? {required: required.sort()} : {})}
  }
  return {type: 'any'}
}

const params = {}
for (const [file, interfaces] of wanted) {
  for (const key of interfaces) {
    const type = topInterface(file, key)
    const tree = schema(type)
    // List params extend PaginationParams: the compiler already folds its fields in.
    params[key] = tree
  }
}

/**
 * Expandable: a field typed "an id or the object" (`string | Stripe.Customer`). Includable: a field the
 * object's interface marks optional, as the SDK marks the fields "only present when expanded".
 */
function fieldsOf(type) {
  const expandable = []
  const includable = []
  for (const property of checker.getPropertiesOfType(type)) {
    const declaration = property.valueDeclaration
    if (!declaration || !ts.isPropertySignature(declaration)) continue
    if (property.flags & ts.SymbolFlags.Optional) includable.push(property.getName())
    const fieldType = checker.getTypeOfSymbolAtLocation(property, declaration)
    const members = fieldType.isUnion() ? fieldType.types : [fieldType]
    const list = members.flatMap((member) =>
      checker.isArrayType(member) ? checker.getTypeArguments(member) : [member],
    )
    if (
      list.some((member) => member.flags & ts.TypeFlags.String) &&
      list.some((member) => member.flags & ts.TypeFlags.Object)
    )
      expandable.push(property.getName())
  }
  return {expandable: expandable.sort(), includable: includable.sort()}
}

const objects = {}
for (const [file, names] of Object.entries(OBJECTS)) {
  for (const name of names) {
    const type = topInterface(file, name)
    const object = checker.getTypeOfSymbol(type.getProperty('object'))
    objects[object.isStringLiteral() ? object.value : name] = fieldsOf(type)
  }
}

const version = readFileSync(new URL('../node_modules/stripe/OPENAPI_VERSION', import.meta.url), 'utf8').trim()
writeFileSync(
  new URL('../src/emulator/stripe-contract.json', import.meta.url),
  JSON.stringify({openapi: version, params, objects}) + '\n',
)
console.log(`spec ${version}: ${Object.keys(params).length} parameter sets, ${Object.keys(objects).length} objects`)
