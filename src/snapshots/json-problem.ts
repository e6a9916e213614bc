import {errorMessage} from '../errors.js'

/**
 * What is wrong with text JSON.parse refused, as an error says it: "cut short (…)" when the text
 * ends before the document does (a write that stopped part-way, a copy that lost its end), else
 * "not valid JSON (…)", with JSON.parse's own message and position.
 */
export function jsonProblem(error: unknown, text: string): string {
  const message = errorMessage(error)
  const position = /at position (\d+)/.exec(message)
  const cutShort =
    /end of JSON input|Unterminated string/i.test(message) ||
    (position !== null && Number(position[1]) >= text.trimEnd().length)
  return `${cutShort ? 'cut short' : 'not valid JSON'} (${message})`
}
