// The English locale alone: the package root loads all ~70 locales (megabytes this tool never uses).
import {faker} from '@faker-js/faker/locale/en'

export interface Identity {
  company: string
  contactName: string
  email: string
}

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '.')
    .replace(/\.+/g, '.')
}

/**
 * Realistic, seeded identities: the same seed gives the same people. Emails use example.com, a
 * domain reserved for examples (RFC 2606), so no message can reach a real inbox; the customer
 * index makes each address unique.
 */
export function createIdentities(seed: number, count: number): Identity[] {
  // Seeded right before a synchronous loop, so the shared instance cannot interleave with anything.
  faker.seed(seed)
  const identities: Identity[] = []
  for (let index = 0; index < count; index++) {
    const firstName = faker.person.firstName()
    const lastName = faker.person.lastName()
    identities.push({
      company: faker.company.name(),
      contactName: `${firstName} ${lastName}`,
      email: `${slug(firstName)}.${slug(lastName)}.${index + 1}@example.com`,
    })
  }
  return identities
}
