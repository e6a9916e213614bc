/**
 * Follows Stripe's cursor pagination to the end. Each page is mapped as it arrives, so no SDK
 * object outlives its page (stripe-node hangs the raw HTTP response on every object).
 */
export async function listAll<T extends {id: string}, R>(
  fetchPage: (startingAfter: string | undefined) => Promise<{data: T[]; has_more: boolean}>,
  map: (item: T) => R,
): Promise<R[]> {
  const all: R[] = []
  let startingAfter: string | undefined
  for (;;) {
    const page = await fetchPage(startingAfter).then((list) => ({
      items: list.data.map(map),
      lastId: list.data.at(-1)?.id,
      hasMore: list.has_more,
    }))
    all.push(...page.items)
    if (!page.hasMore || page.lastId === undefined) return all
    startingAfter = page.lastId
  }
}

/** `starting_after` only when there is one: Stripe refuses an empty cursor. */
export function after(startingAfter: string | undefined): {starting_after?: string} {
  return startingAfter ? {starting_after: startingAfter} : {}
}
