/**
 * The contract between the runtime and one Twilio resource. An adapter implements exactly the operations its
 * entity's schema advertises (checked at start-up by `entities/index.ts`); everything shared — credentials,
 * paging tokens, field mapping, validation, error mapping — lives outside the adapters.
 */
import type { TwilioParams } from '../entities/inputs.js'
import type { UpstreamContext } from './client.js'

/** A record as Twilio returns it: raw JSON (snake_case) or an SDK instance's JSON (camelCase). */
export type TwilioRecord = Record<string, unknown>

export interface ListRequest {
  /** The first page's size; a page URI carries its own. */
  pageSize?: number
  /** Twilio's relative `next_page_uri` of the previous page, when continuing a listing. */
  pageUri?: string
  /** Twilio list filters of the first page, by their query name (`To`, `DateSent>`). */
  filters: Record<string, string>
}

export interface UpstreamPage {
  records: TwilioRecord[]
  /** Twilio's relative URI of the next page; absent on the last page. */
  nextPageUri?: string
}

export interface EntityAdapter {
  list?(upstream: UpstreamContext, request: ListRequest): Promise<UpstreamPage>
  get?(upstream: UpstreamContext, id: string): Promise<TwilioRecord>
  create?(upstream: UpstreamContext, params: TwilioParams): Promise<TwilioRecord>
  update?(upstream: UpstreamContext, id: string, params: TwilioParams): Promise<TwilioRecord>
  delete?(upstream: UpstreamContext, id: string): Promise<void>
}
