/**
 * Executes actions (`POST …/actions/{action}:execute`): the parameters are checked against the action's input
 * schema before anything else, then the action runs as the one entity operation it wraps, through the entity
 * service — so the connection's throttle, its suspension, Twilio's error mapping and idempotent creates apply as
 * they do to the entity API.
 */
import type { ActionDefinition } from '../actions/catalog.js'
import { ACTIONS } from '../actions/catalog.js'
import { entity as entityNamed } from '../entities/catalog.js'
import { checkInput, inputCompiler, type CompiledInput } from '../entities/input-validator.js'
import type { Fields } from '../entities/rows.js'
import { InvalidArgumentError } from '../errors.js'
import { summarize } from '../validation/ajv.js'
import type { EntityService } from './entity-service.js'

/** An action's answer: `ExecuteActionResponse.results`, and whether it replays an earlier call's answer. */
export interface ActionResult { results: Fields[], replayed: boolean }

export class ActionService {
  readonly #inputs = new Map<string, CompiledInput>()

  constructor (private readonly entities: EntityService) {
    const compile = inputCompiler()
    for (const action of ACTIONS.values()) this.#inputs.set(action.name, compile(action.input, action.aliases))
  }

  /**
   * Runs the action for the connection. An idempotency key is taken by creating actions only (as by entity creates:
   * the same key and parameters replay the first answer).
   */
  async execute (connection: string, action: ActionDefinition, parameters: unknown, idempotencyKey?: string): Promise<ActionResult> {
    if (idempotencyKey !== undefined && !action.creates) {
      throw new InvalidArgumentError(`${action.name} creates nothing, so it takes no idempotency key; send it without one`, [
        { field: 'requestId', description: `(or the Idempotency-Key header) is only taken by creating actions, not by ${action.name}` }
      ])
    }
    const input = this.#parse(action, parameters)
    const entity = entityNamed(action.entity)
    const { effect } = action
    switch (effect.operation) {
      case 'CREATE': {
        const { resource, replayed } = await this.entities.create(connection, entity, input, idempotencyKey)
        return { results: [resource.fields], replayed }
      }
      case 'UPDATE': {
        const resource = await this.entities.update(connection, entity, input[effect.id] as string, effect.set)
        return { results: [resource.fields], replayed: false }
      }
      case 'DELETE': {
        const sid = input[effect.id] as string
        await this.entities.delete(connection, entity, sid)
        return { results: [{ Sid: sid, [effect.confirmation]: true }], replayed: false }
      }
    }
  }

  /** The parameters with canonical names; 400 INVALID_ARGUMENT naming every bad one (`parameters.To`) at once. */
  #parse (action: ActionDefinition, parameters: unknown): Fields {
    const checked = checkInput(this.#inputs.get(action.name)!, parameters, {
      root: 'parameters',
      noun: `${action.name} parameter`,
      unknownReason: () => `is not a parameter of ${action.name}`
    })
    if (checked.violations.length) {
      throw new InvalidArgumentError(`Invalid ${action.name} parameters: ${summarize(checked.violations)}`, checked.violations)
    }
    return checked.fields
  }
}
