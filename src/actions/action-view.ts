/**
 * Google's v2 `Action` for an action definition: its input parameters and result fields (name, dataType, nullable,
 * description, jsonSchema) and both JSON schemas in Google's dialect, derived from the schema properties as the
 * entity types' fields are.
 */
import { dataTypeOf, googleJsonSchema, nullableOf } from '../entities/entity-type-view.js'
import type { PropertySchema } from '../entities/catalog.js'
import { oneOfGroupsSchema } from '../entities/inputs.js'
import type { ActionDefinition } from './catalog.js'

/** Google's `ResultMetadata`. */
export interface ResultMetadataView {
  name: string
  dataType: string
  nullable: boolean
  description: string
  jsonSchema: Record<string, unknown>
}

/** Google's `InputParameter`: a result's keys, and Twilio's names for it in `additionalDetails`. */
export interface InputParameterView extends ResultMetadataView {
  additionalDetails: Record<string, unknown>
}

/** Google's `Action`; the BASIC view has the name only. */
export interface ActionView {
  name: string
  displayName?: string
  description?: string
  inputParameters?: InputParameterView[]
  resultMetadata?: ResultMetadataView[]
  inputJsonSchema?: Record<string, unknown>
  resultJsonSchema?: Record<string, unknown>
}

function googleProperties (properties: Record<string, PropertySchema>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, googleJsonSchema(property)]))
}

function described (name: string, property: PropertySchema, nullable: boolean): ResultMetadataView {
  return { name, dataType: dataTypeOf(property), nullable, description: property.description ?? '', jsonSchema: googleJsonSchema(property) }
}

export function actionView (action: ActionDefinition, view: 'BASIC' | 'FULL'): ActionView {
  if (view === 'BASIC') return { name: action.name }
  const required = action.input.required ?? []
  return {
    name: action.name,
    displayName: action.displayName,
    description: action.description,
    inputParameters: Object.entries(action.input.properties).map(([name, property]) => ({
      ...described(name, property, !required.includes(name)),
      additionalDetails: {
        ...(property['x-twilio-param'] ? { twilioParameter: property['x-twilio-param'] } : {}),
        ...(property['x-aliases']?.length ? { aliases: property['x-aliases'] } : {})
      }
    })),
    resultMetadata: Object.entries(action.result).map(([name, property]) => described(name, property, nullableOf(property))),
    inputJsonSchema: {
      type: ['object'],
      description: action.input.description,
      properties: googleProperties(action.input.properties),
      required,
      additionalProperties: false,
      ...oneOfGroupsSchema(action.input)
    },
    resultJsonSchema: { type: ['object'], properties: googleProperties(action.result), required: Object.keys(action.result) }
  }
}
