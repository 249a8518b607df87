/**
 * The connector's actions (Google's v2 `actions`), as data: each is one entity operation with a name, a description
 * and what it does. Their inputs and results are derived from the entity schemas under `schemas/`, so an action's
 * parameter names, aliases and types are always those of the entity it wraps (SendMessage takes exactly what a
 * Messages create takes, `From` for `Sender` included).
 */
import type { EntityDefinition, EntityName, InputSchema, PropertySchema } from '../entities/catalog.js'
import { aliasesOf, entity as entityNamed } from '../entities/catalog.js'
import type { Fields } from '../entities/rows.js'
import { NotFoundError } from '../errors.js'

export const ACTION_NAMES = [
  'SendMessage', 'MakeCall', 'HangupCall', 'RedactMessage', 'AddOutgoingCallerIds', 'BuyPhoneNumber', 'ReleasePhoneNumber'
] as const
export type ActionName = typeof ACTION_NAMES[number]

/** What an action does to its entity. */
export type ActionEffect =
  /** Creates an entity: the parameters are the entity's create fields, the result what the create answers. */
  | { operation: 'CREATE' }
  /** Sets `set` on the entity the `id` parameter names; the result is the updated row. */
  | { operation: 'UPDATE', id: string, set: Fields }
  /** Deletes the entity the `id` parameter names; the result is `{ Sid, <confirmation>: true }`. */
  | { operation: 'DELETE', id: string, confirmation: string }

/** One action as written in the table below (keyed by its name). */
interface ActionSpec {
  name: ActionName
  displayName: string
  description: string
  entity: EntityName
  effect: ActionEffect
}

/** One action as the gateway uses it: the spec, with its input and result derived from the entity's schema. */
export interface ActionDefinition extends ActionSpec {
  /** The parameters (`ExecuteActionRequest.parameters`), with Twilio's names as `x-aliases`. */
  input: InputSchema
  /** Input alias → canonical parameter name (`From` → `Sender`, `Sid` → `CallSid`). */
  aliases: ReadonlyMap<string, string>
  /** The fields of each result row. */
  result: Record<string, PropertySchema>
  /** Whether it creates something at Twilio (and so takes an idempotency key). */
  creates: boolean
}

/** Twilio's name for the id an action takes (the `{Sid}` of its resource paths), accepted as an alias. */
const TWILIO_ID = 'Sid'

const SPECS: Record<ActionName, Omit<ActionSpec, 'name'>> = {
  SendMessage: {
    displayName: 'Send message',
    description: 'Sends an SMS, MMS or WhatsApp message (a Messages create): To; Sender (Twilio\'s From) or ' +
      'MessagingServiceSid; and Body, MediaUrl or ContentSid. Answers the message.',
    entity: 'Messages',
    effect: { operation: 'CREATE' }
  },
  MakeCall: {
    displayName: 'Make call',
    description: 'Places a call (a Calls create): To, Sender (Twilio\'s From), and Url, Twiml or ApplicationSid for ' +
      'what the call does. Answers the call.',
    entity: 'Calls',
    effect: { operation: 'CREATE' }
  },
  HangupCall: {
    displayName: 'Hang up call',
    description: 'Ends a live call (a Calls update setting Status to completed): an answered call completes, a queued ' +
      'or ringing one is canceled. Answers the call.',
    entity: 'Calls',
    effect: { operation: 'UPDATE', id: 'CallSid', set: { Status: 'completed' } }
  },
  RedactMessage: {
    displayName: 'Redact message',
    description: 'Removes the text of a finished message (a Messages update setting Body to ""). Answers the message.',
    entity: 'Messages',
    effect: { operation: 'UPDATE', id: 'MessageSid', set: { Body: '' } }
  },
  AddOutgoingCallerIds: {
    displayName: 'Add outgoing caller ID',
    description: 'Starts verifying a phone number as a caller ID (an OutgoingCallerIds create; CData\'s name): Twilio ' +
      'calls the number and whoever answers enters the ValidationCode. Answers the validation request.',
    entity: 'OutgoingCallerIds',
    effect: { operation: 'CREATE' }
  },
  BuyPhoneNumber: {
    displayName: 'Buy phone number',
    description: 'Buys a phone number for the account (an IncomingPhoneNumbers create): PhoneNumber, or AreaCode for ' +
      'any available number in it. Answers the number.',
    entity: 'IncomingPhoneNumbers',
    effect: { operation: 'CREATE' }
  },
  ReleasePhoneNumber: {
    displayName: 'Release phone number',
    description: 'Releases a phone number the account owns (an IncomingPhoneNumbers delete). Answers ' +
      '{"Sid": "PN…", "Released": true}.',
    entity: 'IncomingPhoneNumbers',
    effect: { operation: 'DELETE', id: 'PhoneNumberSid', confirmation: 'Released' }
  }
}

/** The input of an action that names one entity: its id parameter, which must be a well-formed Sid. */
function idInput (spec: ActionSpec, entity: EntityDefinition, id: string): InputSchema {
  return {
    title: `${spec.name}Parameters`,
    description: `Names the ${entity.name} resource by its Sid.`,
    type: 'object',
    additionalProperties: false,
    required: [id],
    properties: {
      [id]: {
        type: 'string',
        pattern: entity.idPattern.source,
        description: `The Sid of the ${entity.name} resource.`,
        'x-twilio-param': TWILIO_ID,
        'x-aliases': [TWILIO_ID]
      }
    }
  }
}

function resultOf (spec: ActionSpec, entity: EntityDefinition): Record<string, PropertySchema> {
  const { effect } = spec
  if (effect.operation === 'DELETE') {
    return {
      Sid: entity.fields.Sid!,
      [effect.confirmation]: { type: 'boolean', description: `Always true: Twilio no longer has the ${entity.name} resource.` }
    }
  }
  return (effect.operation === 'CREATE' && entity.createResult) || entity.fields
}

function define (spec: ActionSpec): ActionDefinition {
  const entity = entityNamed(spec.entity)
  const { effect } = spec
  const input = effect.operation === 'CREATE' ? entity.create : idInput(spec, entity, effect.id)
  if (!input || !entity.operations.includes(effect.operation)) throw new Error(`${spec.name}: ${entity.name} has no ${effect.operation}`)
  return { ...spec, input, aliases: aliasesOf(input), result: resultOf(spec, entity), creates: effect.operation === 'CREATE' }
}

export const ACTIONS: ReadonlyMap<ActionName, ActionDefinition> = new Map(ACTION_NAMES.map((name) => [name, define({ name, ...SPECS[name] })]))

export function isActionName (name: string): name is ActionName {
  return ACTIONS.has(name as ActionName)
}

/** The action a caller names; 404 NOT_FOUND naming the actions there are (and the one meant, for a wrong case). */
export function actionNamed (name: string): ActionDefinition {
  if (isActionName(name)) return ACTIONS.get(name)!
  const near = ACTION_NAMES.find((known) => known.toLowerCase() === name.toLowerCase())
  throw new NotFoundError(`Action ${name} not found${near ? `; did you mean ${near}?` : ''} (actions: ${ACTION_NAMES.join(', ')})`)
}
