/**
 * The conditions the runtime understands so far: the entity's key, `Sid = 'SM…'` (single or double quotes), or a
 * bare SID, which Google's Twilio examples use as a filter clause. Anything else is refused rather than ignored.
 */
import { InvalidArgumentError } from '../errors.js'
import type { EntityDefinition } from '../entities/catalog.js'

// `\s*(?:\)\s*)?$` rather than `\s*\)?\s*$`: two adjacent `\s*` would backtrack quadratically over long blanks.
const SID_EQUALS = /^\s*\(?\s*sid\s*=\s*(?:'([^']*)'|"([^"]*)")\s*(?:\)\s*)?$/i

/** The SID a condition selects. */
export function sidCondition (entity: EntityDefinition, conditions: string): string {
  const trimmed = conditions.trim()
  const match = SID_EQUALS.exec(trimmed)
  const sid = match ? (match[1] ?? match[2])! : trimmed
  if (!entity.idPattern.test(sid)) {
    throw new InvalidArgumentError(
      match
        ? `conditions: '${sid}' is not a well-formed ${entity.name} Sid`
        : `conditions: only Sid = '<sid>' (or a bare Sid) is supported, got: ${conditions}`,
      [{ field: 'conditions', description: `must be Sid = '<sid>' with a Sid matching ${entity.idPattern.source}` }])
  }
  return sid
}
