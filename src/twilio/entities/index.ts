import type { EntityName, Operation } from '../../entities/catalog.js'
import { ENTITIES } from '../../entities/catalog.js'
import type { EntityAdapter } from '../entity-adapter.js'
import { callsAdapter } from './calls.js'
import { feedbackSummaryAdapter } from './feedback-summary.js'
import { feedbackAdapter } from './feedback.js'
import { incomingPhoneNumbersAdapter } from './incoming-phone-numbers.js'
import { messagesAdapter } from './messages.js'
import { outgoingCallerIdsAdapter } from './outgoing-caller-ids.js'
import { recordingsAdapter } from './recordings.js'

const ADAPTERS: Record<EntityName, EntityAdapter> = {
  Recordings: recordingsAdapter,
  Calls: callsAdapter,
  Feedback: feedbackAdapter,
  FeedbackSummary: feedbackSummaryAdapter,
  Messages: messagesAdapter,
  IncomingPhoneNumbers: incomingPhoneNumbersAdapter,
  OutgoingCallerIds: outgoingCallerIdsAdapter
}

const METHOD: Record<Operation, keyof EntityAdapter> = { LIST: 'list', GET: 'get', CREATE: 'create', UPDATE: 'update', DELETE: 'delete' }

/** The adapter of an entity, checked to implement exactly the operations its schema advertises. */
export function adapterFor (name: EntityName): EntityAdapter {
  return ADAPTERS[name]
}

for (const entity of ENTITIES.values()) {
  const adapter = ADAPTERS[entity.name]
  for (const [operation, method] of Object.entries(METHOD)) {
    const advertised = entity.operations.includes(operation as Operation)
    if (advertised !== (typeof adapter[method] === 'function')) {
      throw new Error(`${entity.name}: its schema ${advertised ? 'advertises' : 'omits'} ${operation} but its adapter ${advertised ? 'lacks' : 'implements'} ${method}()`)
    }
  }
}
