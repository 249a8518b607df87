/**
 * Shared by the action tests: the seven actions, their paths on the sandbox connection, and a call to execute one.
 */
import { expect } from 'vitest'
import type { Answer } from '../../../helpers/gateway.js'
import { SANDBOX_PATH } from '../../../helpers/gateway.js'
import type { World } from '../support.js'

export const ACTION_NAMES = [
  'SendMessage', 'MakeCall', 'HangupCall', 'RedactMessage', 'AddOutgoingCallerIds', 'BuyPhoneNumber', 'ReleasePhoneNumber'
] as const

/** `…/actions[/{action}]` of a connection path (the sandbox connection by default). */
export function actionPath (action?: string, connectionPath = SANDBOX_PATH): string {
  return `${connectionPath}/actions${action === undefined ? '' : `/${action}`}`
}

/** `POST …/actions/{action}:execute` with `{"parameters": …}`, and an optional query string (`requestId=…`). */
export async function execute (world: World, action: string, parameters: unknown, query = '', headers?: Record<string, string>): Promise<Answer> {
  return world.call('POST', `${actionPath(action)}:execute${query ? `?${query}` : ''}`, { parameters }, headers)
}

/** Asserts a 200 ExecuteActionResponse, `{"results": [row]}` with exactly one row; answers that row. */
export function onlyResult (answer: Answer): Record<string, unknown> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  expect(Object.keys(answer.body)).toEqual(['results'])
  expect(answer.body.results).toHaveLength(1)
  return answer.body.results[0] as Record<string, unknown>
}
