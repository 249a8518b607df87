/**
 * Adapters over the `twilio` SDK's typed resources. An entity names the SDK collection and instance it maps to;
 * paging, parameter naming and record extraction are handled here once.
 */
import type { TwilioParams } from '../entities/inputs.js'
import type { TwilioClient, UpstreamContext } from './client.js'
import type { EntityAdapter, ListRequest, TwilioRecord, UpstreamPage } from './entity-adapter.js'

export type AccountContext = ReturnType<TwilioClient['api']['v2010']['accounts']>

interface SdkInstance { toJSON(): object }
interface SdkPage { instances: SdkInstance[], nextPageUrl?: string }
/** The parts of an SDK list resource (`client.messages`) the gateway uses. */
export interface SdkCollection {
  page(params: object): Promise<SdkPage>
  getPage(targetUrl: string): Promise<SdkPage>
}
/** The parts of an SDK instance context (`client.messages(sid)`) the gateway uses. */
export interface SdkInstanceContext {
  fetch(): Promise<SdkInstance>
  update?(params: object): Promise<SdkInstance>
  remove(): Promise<boolean>
}

export function account (upstream: UpstreamContext): AccountContext {
  return upstream.client.api.v2010.accounts(upstream.accountSid)
}

/** Twilio's form parameter names (`StatusCallback`) → the SDK's option names (`statusCallback`). */
export function sdkParams (params: TwilioParams): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params.form).map(([name, value]) => [name.charAt(0).toLowerCase() + name.slice(1), value]))
}

export function record (instance: SdkInstance): TwilioRecord {
  return instance.toJSON() as TwilioRecord
}

function relativeUri (absolute: string | undefined): string | undefined {
  if (!absolute) return undefined
  const url = new URL(absolute)
  return url.pathname + url.search
}

/** Twilio's list filter names (`DateSent>`, `CallSid`) → the SDK's list option names (`dateSentAfter`, `callSid`). */
export function sdkListParams (filters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).map(([name, value]) => [
    name.charAt(0).toLowerCase() + name.slice(1).replace(/>$/, 'After').replace(/<$/, 'Before'), value
  ]))
}

export async function listPage (upstream: UpstreamContext, collection: SdkCollection, request: ListRequest): Promise<UpstreamPage> {
  const page = request.pageUri
    ? await collection.getPage(upstream.client.api.absoluteUrl(request.pageUri))
    : await collection.page({ pageSize: request.pageSize, ...sdkListParams(request.filters) })
  return { records: page.instances.map(record), nextPageUri: relativeUri(page.nextPageUrl) }
}

interface SdkResource {
  collection(account: AccountContext): SdkCollection & { create?(params: object): Promise<SdkInstance> }
  instance(account: AccountContext, sid: string): SdkInstanceContext
}

/** An adapter for a resource whose list, fetch, create, update and remove are all in the SDK. */
export function sdkResource (resource: SdkResource): Required<EntityAdapter> {
  return {
    list: (upstream, request) => listPage(upstream, resource.collection(account(upstream)), request),
    get: async (upstream, id) => record(await resource.instance(account(upstream), id).fetch()),
    create: async (upstream, params) => {
      const collection = resource.collection(account(upstream))
      if (!collection.create) throw new Error('this SDK collection cannot create')
      return record(await collection.create(sdkParams(params)))
    },
    update: async (upstream, id, params) => {
      const instance = resource.instance(account(upstream), id)
      if (!instance.update) throw new Error('this SDK instance cannot update')
      return record(await instance.update(sdkParams(params)))
    },
    delete: async (upstream, id) => { await resource.instance(account(upstream), id).remove() }
  }
}
