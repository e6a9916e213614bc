import {distance} from 'fastest-levenshtein'

/**
 * The known name closest to a mistyped one (`customer` → `customers`, `custmers` → `customers`), or
 * undefined when none is close enough to be what the user meant: two edits (a swapped pair of
 * letters is two) or a third of its letters, one for names under four letters, so `--x` suggests
 * nothing rather than a random flag.
 */
export function closestName(input: string, known: Iterable<string>): string | undefined {
  const allowed = input.length < 4 ? 1 : Math.max(2, Math.floor(input.length / 3))
  let best: {name: string; edits: number} | undefined
  for (const name of known) {
    const edits = distance(input.toLowerCase(), name.toLowerCase())
    if (edits <= allowed && (!best || edits < best.edits)) best = {name, edits}
  }
  return best?.name
}
