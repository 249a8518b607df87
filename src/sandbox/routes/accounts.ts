import { Collection } from '../collection.js'
import { Filters } from '../filters.js'
import { listPage } from '../paging.js'
import { accountUri, ok, route, type Context, type Route } from '../router.js'
import type { Account } from '../store.js'
import { rfc2822 } from '../wire.js'

const ACCOUNT_SUBRESOURCES: ReadonlyArray<[name: string, path: string]> = [
  ['available_phone_numbers', 'AvailablePhoneNumbers'], ['calls', 'Calls'], ['conferences', 'Conferences'],
  ['incoming_phone_numbers', 'IncomingPhoneNumbers'], ['notifications', 'Notifications'],
  ['outgoing_caller_ids', 'OutgoingCallerIds'], ['recordings', 'Recordings'], ['transcriptions', 'Transcriptions'],
  ['addresses', 'Addresses'], ['signing_keys', 'SigningKeys'], ['connect_apps', 'ConnectApps'], ['sip', 'SIP'],
  ['authorized_connect_apps', 'AuthorizedConnectApps'], ['usage', 'Usage'], ['keys', 'Keys'],
  ['applications', 'Applications'], ['short_codes', 'SMS/ShortCodes'], ['queues', 'Queues'], ['messages', 'Messages'],
  ['balance', 'Balance']
]

function renderAccount (account: Account): Record<string, unknown> {
  const uri = accountUri(account.sid)
  return {
    auth_token: account.authToken,
    date_created: rfc2822(account.dateCreated),
    date_updated: rfc2822(account.dateUpdated),
    friendly_name: account.friendlyName,
    owner_account_sid: account.ownerAccountSid,
    sid: account.sid,
    status: 'active',
    subresource_uris: Object.fromEntries(ACCOUNT_SUBRESOURCES.map(([name, path]) => [name, `${uri}/${path}.json`])),
    type: 'Full',
    uri: `${uri}.json`
  }
}

/** The accounts the caller may see: its own and its subaccounts. */
function list (context: Context) {
  const accounts = new Collection<Account>()
  accounts.addAll(context.store.family(context.callerSid).map(({ account }) => account))
  const filters = new Filters<Account>(context.query.params)
    .equals('FriendlyName', (account) => account.friendlyName)
    .oneOf('Status', ['active', 'suspended', 'closed'], () => 'active')
  return ok(listPage(context.query, {
    key: 'accounts',
    records: accounts,
    filterNames: filters.names,
    match: filters.match,
    render: renderAccount
  }))
}

export const accountRoutes: Route[] = [
  route('/Accounts.json', { GET: list }),
  // The path's account was authorized before the handler runs, so it is the one to answer.
  route('/Accounts/{AccountSid}.json', { GET: (context) => ok(renderAccount(context.data.account)) })
]
