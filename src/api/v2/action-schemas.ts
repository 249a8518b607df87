/**
 * The actions API's shared schemas: Google's `Action` and `ListActionsResponse`, and per action its execute
 * request and response. An action that wraps an entity create takes that create's published input
 * (`MessagesCreate`) and answers its rows (`Messages`), so a generated client types SendMessage exactly as a
 * Messages create.
 */
import type { ActionDefinition } from '../../actions/catalog.js'
import { ACTIONS } from '../../actions/catalog.js'
import { entity as entityNamed } from '../../entities/catalog.js'
import { entitySchemaIds, publishedInput, schemaListResponse } from './schemas.js'

type Schema = Record<string, unknown>

const freeForm = { type: 'object', additionalProperties: true }
const string = { type: 'string' }

const resultMetadataProperties = {
  name: string,
  dataType: { type: 'string', description: 'Google DataType, e.g. VARCHAR, INTEGER, TIMESTAMP, STRUCT.' },
  nullable: { type: 'boolean' },
  description: string,
  jsonSchema: freeForm
}

const sharedSchemas: Schema[] = [
  {
    $id: 'ResultMetadata',
    description: 'A field of an action\'s result rows.',
    type: 'object',
    required: ['name', 'dataType', 'nullable'],
    properties: resultMetadataProperties
  },
  {
    $id: 'InputParameter',
    description: 'A parameter of an action; additionalDetails names Twilio\'s parameter and the aliases it is accepted under.',
    type: 'object',
    required: ['name', 'dataType', 'nullable'],
    properties: { ...resultMetadataProperties, additionalDetails: freeForm }
  },
  {
    $id: 'Action',
    description: 'An action: its parameters and result fields, and both as JSON schemas.',
    type: 'object',
    required: ['name'],
    properties: {
      name: string,
      displayName: string,
      description: string,
      inputParameters: { type: 'array', items: { $ref: 'InputParameter#' } },
      resultMetadata: { type: 'array', items: { $ref: 'ResultMetadata#' } },
      inputJsonSchema: freeForm,
      resultJsonSchema: freeForm,
      metadata: freeForm
    }
  },
  schemaListResponse('ListActionsResponse', 'actions', 'Action', 'unsupportedActionNames')
]

/** Component ids of an action's schemas: its own, or those of the entity operation it wraps. */
export function actionSchemaIds (action: ActionDefinition): { parameters: string, result: string, request: string, response: string } {
  const entity = entityNamed(action.entity)
  const ids = entitySchemaIds(entity)
  const { operation } = action.effect
  return {
    parameters: operation === 'CREATE' ? ids.create : `${action.name}Parameters`,
    result: operation === 'DELETE' ? `${action.name}Result` : operation === 'CREATE' && entity.createResult ? ids.createResult : ids.row,
    request: `${action.name}Request`,
    response: `${action.name}Response`
  }
}

function actionComponentSchemas (action: ActionDefinition): Schema[] {
  const ids = actionSchemaIds(action)
  const { operation } = action.effect
  return [
    ...(operation === 'CREATE' ? [] : [{ $id: ids.parameters, ...publishedInput(action.input, `The parameters of ${action.name}. ${action.input.description}`) }]),
    ...(operation === 'DELETE'
      ? [{ $id: ids.result, description: `What ${action.name} answers.`, type: 'object', required: Object.keys(action.result), properties: action.result }]
      : []),
    {
      $id: ids.request,
      description: `The body of ${action.name} (an ExecuteActionRequest).`,
      type: 'object',
      required: ['parameters'],
      properties: { parameters: { $ref: `${ids.parameters}#` } }
    },
    {
      $id: ids.response,
      description: `The answer of ${action.name} (an ExecuteActionResponse).`,
      type: 'object',
      required: ['results'],
      properties: {
        results: { type: 'array', items: { $ref: `${ids.result}#` }, description: 'One row.' },
        metadata: freeForm
      }
    }
  ]
}

/** Every shared schema of the actions API, in registration order (after the entity schemas they reference). */
export function actionSchemas (): Schema[] {
  return [...sharedSchemas, ...[...ACTIONS.values()].flatMap(actionComponentSchemas)]
}

/** Ids of execute request bodies whose `parameters` the action service checks (Fastify only checks the envelope). */
export const ACTION_REQUEST_IDS: ReadonlySet<string> = new Set([...ACTIONS.values()].map((action) => actionSchemaIds(action).request))
