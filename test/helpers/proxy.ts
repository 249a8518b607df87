/**
 * A real HTTP proxy for the tests: Debian's `squid`, started per test file with a generated configuration in a
 * temporary directory, stopped at the end. Each instance has one authentication set-up:
 *
 * - `NONE`: open (to loopback destinations only);
 * - `BASIC`: `basic_ncsa_auth` over an htpasswd file (Apache MD5, made with `openssl passwd -apr1`);
 * - `DIGEST`: `digest_file_auth` over its plain `user:password` file, with its own realm.
 *
 * What it allows and where it goes:
 *
 * - `http_port 127.0.0.1:<free port>`, no caching, clients from loopback only, requests and CONNECT tunnels to any
 *   port of a loopback destination (127.0.0.0/8, plus the names of `hostNames`, which squid resolves to 127.0.0.1
 *   through a generated `hosts_file` — no DNS server is asked anything); everything else is denied (403), before
 *   squid connects anywhere. So nothing leaves loopback.
 * - `connectMap`: CONNECT authorities squid really opens elsewhere — e.g. `api.dublin.ie1.twilio.com:443` →
 *   `127.0.0.1:<port of the TLS sandbox>` — through squid's own URL rewriter (a generated helper script), so tests
 *   need no listener on port 443 (no root). The access log keeps both the authority the client asked for and the
 *   one squid connected to.
 * - `tls`: a TLS port for clients that speak TLS to the proxy itself (the gateway's `proxy_ssltype` ALWAYS): squid's
 *   own `https_port` when squid is built with OpenSSL (Debian's `squid-openssl`), otherwise a Node `tls` server in
 *   front of the plain port (a real TLS terminator piping bytes to squid); `tlsTerminator` says which.
 * - An access log in the temporary directory with a fixed format (`entries()` parses it): the request's method,
 *   the URL as the client sent it (authority form for CONNECT, absolute form for forwarded requests, query kept),
 *   the URL squid used, the status squid answered, squid's result code, the authenticated user and the server it
 *   connected to. Squid writes a line when a transaction ends — for a CONNECT tunnel, when the tunnel closes — so
 *   `waitFor()` polls (bounded) and can nudge a closure meanwhile.
 *
 * Squid is found at `SQUID` (a path), on PATH, or at /usr/sbin/squid; without it (or with SQUID=none), `startSquid`
 * fails with a message saying how to install it: the proxy tests fail, they never skip. As root (CI), squid runs as the unprivileged `nobody`,
 * with `-N` (no daemon) and its pid file, logs and core directory in the temporary directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, chmodSync, chownSync, constants, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { delimiter, dirname, join } from 'node:path'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './process.js'
import type { KeyPair } from './tls.js'
import { serverAccount, serverDirectory } from './unprivileged.js'

export type ProxyAuth = 'NONE' | 'BASIC' | 'DIGEST'

export interface SquidOptions {
  auth: ProxyAuth
  /** The proxy account (BASIC, DIGEST); generated unless given. */
  user?: string
  password?: string
  /** Also listen with TLS, with this certificate (for clients that speak TLS to the proxy). */
  tls?: KeyPair
  /** Names squid resolves to 127.0.0.1 (its `hosts_file`); `localhost` always is. */
  hostNames?: string[]
  /** CONNECT authority (`host:port`) → the `127.0.0.1:port` squid really connects to for it. */
  connectMap?: Record<string, string>
  /**
   * Who terminates the TLS port: `auto` (default) is squid itself when built with OpenSSL, else a Node TLS front;
   * `node` forces the front (also with SQUID_TLS_FRONT=node), to exercise the fallback.
   */
  tlsFront?: 'auto' | 'node'
  /** Bound on the start-up wait, ms (default 20 s). */
  startTimeoutMs?: number
}

/** One line of the access log. */
export interface AccessEntry {
  /** Epoch milliseconds. */
  time: number
  client: string
  /** Squid's port the client connected to (the TLS port for clients that speak TLS to squid itself). */
  port: number
  method: string
  /** The URL the client sent: `host:port` for CONNECT, the absolute URL for a forwarded request. */
  url: string
  /** The URL squid used (differs from `url` when `connectMap` rewrote it). */
  squidUrl: string
  /** The status squid answered the client (200 for an opened tunnel, 407 when it wanted credentials …). */
  status: number
  /** Squid's result code: TCP_TUNNEL, TCP_MISS, TCP_DENIED … */
  result: string
  /** The authenticated proxy user, or null. */
  user: string | null
  /** Squid's hierarchy code (HIER_DIRECT, HIER_NONE …). */
  hierarchy: string
  /** `address:port` squid connected to, or null when it connected nowhere. */
  server: string | null
  raw: string
}

export interface Squid {
  host: '127.0.0.1'
  /** The plain HTTP port (CONNECT, and forwarding in absolute form). */
  port: number
  /** The TLS port, when started with `tls`. */
  tlsPort?: number
  /** Who terminates the proxy's TLS: squid's own `https_port`, or a Node TLS front (squid built without OpenSSL). */
  tlsTerminator?: 'squid' | 'node'
  /**
   * The squid port (`AccessEntry.port`) of requests that came over TLS: `tlsPort` with squid's own TLS; with a
   * Node front, the plain port (the front connects there).
   */
  tlsEntryPort?: number
  auth: ProxyAuth
  user: string
  password: string
  /** The DIGEST realm (also sent with BASIC challenges). */
  realm: string
  /** The temporary directory: squid.conf, logs, password files. */
  dir: string
  /** Every access-log line so far, parsed. */
  entries(): AccessEntry[]
  /**
   * The first entry after the first `from` entries (default 0) matching `predicate`, waiting for it (bounded;
   * default 10 s) and calling `nudge` between looks (e.g. to close idle tunnels, whose lines squid writes then).
   */
  waitFor(predicate: (entry: AccessEntry) => boolean, options?: { from?: number, nudge?: () => void, timeoutMs?: number }): Promise<AccessEntry>
  /** The cache (diagnostic) log, for failure messages. */
  cacheLog(): string
  stop(): Promise<void>
}

const LOG_FORMAT = 'gateway_test %ts.%03tu %>a %lp %rm %>ru %ru %>Hs %Ss %un %Sh %<a:%<p'
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i
const AUTHORITY = /^([a-z0-9.-]+|\[[0-9a-f:]+\]):\d{1,5}$/i

/** What to tell someone whose machine has no squid. */
export const INSTALL_SQUID =
  'The proxy tests need a real squid: install it (Debian/Ubuntu: apt-get install -y squid-openssl — plain `squid` ' +
  'works too, with a Node TLS front for the TLS port), or set SQUID=/path/to/squid. `.ci/run` installs it in CI.'

function executable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The squid binary, or an error saying how to install it. */
export function findSquid (env: Record<string, string | undefined> = process.env): string {
  // SQUID=none: behave as on a machine without squid (to see the failure the tests then give).
  if (env.SQUID?.trim() === 'none') throw new Error(`squid not found (SQUID=none). ${INSTALL_SQUID}`)
  const candidates = [
    ...(env.SQUID?.trim() ? [env.SQUID.trim()] : []),
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'squid')),
    '/usr/sbin/squid', '/usr/local/sbin/squid'
  ]
  const found = candidates.find(executable)
  if (!found) throw new Error(`squid not found (looked at ${candidates.join(', ')}). ${INSTALL_SQUID}`)
  return found
}

/** The directory of squid's authentication helpers (`basic_ncsa_auth`, `digest_file_auth`). */
function helperDir (squid: string): string {
  const candidates = ['/usr/lib/squid', '/usr/lib64/squid', '/usr/libexec/squid', join(dirname(dirname(squid)), 'libexec', 'squid'), join(dirname(dirname(squid)), 'lib', 'squid')]
  const found = candidates.find((dir) => executable(join(dir, 'basic_ncsa_auth')) && executable(join(dir, 'digest_file_auth')))
  if (!found) throw new Error(`squid's authentication helpers (basic_ncsa_auth, digest_file_auth) not found in ${candidates.join(', ')}. ${INSTALL_SQUID}`)
  return found
}

/** Whether this squid can serve `https_port` itself (built with OpenSSL). */
function squidHasOpenSsl (squid: string): boolean {
  const version = spawnSync(squid, ['-v'], { encoding: 'utf8', timeout: 10_000 })
  return version.status === 0 && /--with-openssl/.test(version.stdout)
}

/** An htpasswd line (Apache MD5, `$apr1$`), made by `openssl passwd -apr1` (the password on stdin). */
function htpasswdLine (user: string, password: string): string {
  const salt = randomBytes(6).toString('base64').replace(/[+/=]/g, 'x').slice(0, 8)
  const result = spawnSync('openssl', ['passwd', '-apr1', '-salt', salt, '-stdin'], { input: `${password}\n`, encoding: 'utf8', timeout: 10_000 })
  if (result.status !== 0 || !result.stdout.startsWith('$apr1$')) {
    throw new Error(`openssl passwd -apr1 failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`)
  }
  return `${user}:${result.stdout.trim()}\n`
}

function parseEntry (line: string): AccessEntry | undefined {
  const fields = line.trim().split(/\s+/)
  if (fields.length < 11) return undefined
  const [time, client, port, method, url, squidUrl, status, result, user, hierarchy, server] =
    fields as [string, string, string, string, string, string, string, string, string, string, string]
  // A connection that sent no request (a start-up probe) is logged with method '-': not a request.
  if (method === '-') return undefined
  return {
    time: Math.round(Number(time) * 1000),
    client,
    port: Number(port),
    method,
    url,
    squidUrl,
    status: Number(status),
    result,
    user: user === '-' ? null : decodeURIComponent(user),
    hierarchy,
    server: server === '-:-' || server.startsWith('-') ? null : server,
    raw: line
  }
}

/** The lines of squid.conf. */
function configuration (options: {
  dir: string
  port: number
  tlsPort?: number
  tls?: KeyPair
  auth: ProxyAuth
  helpers: string
  realm: string
  connectMap: Record<string, string>
}): string {
  const { dir, auth, helpers, realm } = options
  const mapped = Object.keys(options.connectMap)
  return [
    `http_port 127.0.0.1:${options.port} name=plain`,
    ...(options.tlsPort !== undefined ? [`https_port 127.0.0.1:${options.tlsPort} name=tls tls-cert=${join(dir, 'proxy-cert.pem')} tls-key=${join(dir, 'proxy-key.pem')}`] : []),
    `pid_filename ${join(dir, 'squid.pid')}`,
    `cache_log stdio:${join(dir, 'cache.log')}`,
    `logformat ${LOG_FORMAT}`,
    `access_log stdio:${join(dir, 'access.log')} gateway_test`,
    'buffered_logs off',
    'strip_query_terms off',
    'cache_store_log none',
    `coredump_dir ${dir}`,
    // No caching of any kind.
    'cache deny all',
    'cache_mem 8 MB',
    'digest_generation off',
    // Names from the generated hosts file; nothing else is resolved (and the DNS socket stays on loopback).
    `hosts_file ${join(dir, 'hosts')}`,
    'dns_nameservers 127.0.0.1',
    'dns_timeout 2 seconds',
    'udp_incoming_address 127.0.0.1',
    'udp_outgoing_address 127.0.0.1',
    'visible_hostname gateway-test-squid',
    'shutdown_lifetime 0 seconds',
    'pinger_enable off',
    'icp_port 0',
    'htcp_port 0',
    'netdb_filename none',
    'forwarded_for delete',
    ...(auth === 'BASIC'
      ? [
          `auth_param basic program ${join(helpers, 'basic_ncsa_auth')} ${join(dir, 'htpasswd')}`,
          'auth_param basic children 3 startup=1 idle=1',
          `auth_param basic realm ${realm}`,
          'auth_param basic credentialsttl 5 seconds'
        ]
      : []),
    ...(auth === 'DIGEST'
      ? [
          `auth_param digest program ${join(helpers, 'digest_file_auth')} ${join(dir, 'digest-passwords')}`,
          'auth_param digest children 3 startup=1 idle=1',
          `auth_param digest realm ${realm}`,
          'auth_param digest nonce_garbage_interval 5 minutes',
          'auth_param digest nonce_max_duration 30 minutes',
          'auth_param digest nonce_max_count 50'
        ]
      : []),
    ...(mapped.length > 0
      ? [
          `url_rewrite_program ${join(dir, 'connect-map.sh')}`,
          'url_rewrite_children 2 startup=1 idle=1',
          // Only CONNECT requests go to the helper; it answers ERR (no change) for authorities it does not map.
          'acl connect_method method CONNECT',
          'url_rewrite_access allow connect_method',
          'url_rewrite_access deny all'
        ]
      : []),
    'acl loopback_src src 127.0.0.0/8',
    'acl loopback_dst dst 127.0.0.0/8',
    ...(auth === 'NONE' ? [] : ['acl authenticated proxy_auth REQUIRED']),
    'http_access deny !loopback_src',
    // A deny whose last ACL is proxy_auth: squid answers 407 with its challenge.
    ...(auth === 'NONE' ? [] : ['http_access deny !authenticated']),
    'http_access allow loopback_dst',
    'http_access deny all',
    ''
  ].join('\n')
}

function waitForExit (child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

function canConnect (port: number, secure: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = secure
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once(secure ? 'secureConnect' : 'connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * A Node TLS server on a free loopback port, piping each connection to `squidPort` (squid's plain port): the TLS
 * front of a squid without OpenSSL, or — with a certificate the client does not trust — a proxy whose TLS fails.
 */
export async function startTlsFront (pair: KeyPair, squidPort: number): Promise<{ port: number, close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = tls.createServer({ cert: pair.cert, key: pair.key }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: squidPort })
    sockets.add(client).add(upstream)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the TLS front is not listening on a TCP port')
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Starts squid as described above; fails (never skips) when squid is missing or does not come up. */
export async function startSquid (options: SquidOptions): Promise<Squid> {
  const squid = findSquid()
  const helpers = options.auth === 'NONE' ? '' : helperDir(squid)
  const forceFront = (options.tlsFront ?? (process.env.SQUID_TLS_FRONT === 'node' ? 'node' : 'auto')) === 'node'
  const nativeTls = options.tls !== undefined && !forceFront && squidHasOpenSsl(squid)
  const user = options.user ?? `gw-${options.auth.toLowerCase()}-${randomBytes(3).toString('hex')}`
  // Random, with characters that need care in headers (but no ':' — the digest password file splits on it).
  const password = options.password ?? `pw-${randomBytes(12).toString('base64url')}!`
  const realm = `gateway-test-${options.auth.toLowerCase()}`
  const hostNames = [...new Set(['localhost', ...(options.hostNames ?? [])])]
  for (const name of hostNames) if (!HOST_NAME.test(name)) throw new Error(`not a host name: ${name}`)
  const connectMap = options.connectMap ?? {}
  for (const [from, to] of Object.entries(connectMap)) {
    if (!AUTHORITY.test(from) || !/^127\.\d+\.\d+\.\d+:\d{1,5}$/.test(to)) throw new Error(`connectMap ${from} → ${to}: want host:port → 127.x.y.z:port`)
  }

  const asUser = serverAccount()
  const dir = serverDirectory('gateway-test-squid-', asUser) // mode 0700
  const write = (name: string, content: string, mode = 0o644): void => {
    writeFileSync(join(dir, name), content, { mode })
    chmodSync(join(dir, name), mode)
  }
  write('hosts', `127.0.0.1 ${hostNames.join(' ')}\n`)
  if (options.auth === 'BASIC') write('htpasswd', htpasswdLine(user, password), 0o600)
  if (options.auth === 'DIGEST') write('digest-passwords', `${user}:${password}\n`, 0o600)
  if (options.tls && nativeTls) {
    write('proxy-cert.pem', options.tls.cert)
    write('proxy-key.pem', options.tls.key, 0o600)
  }
  if (Object.keys(connectMap).length > 0) {
    // Squid's URL-rewriter protocol: one request per line (the URL first), one answer per line.
    write('connect-map.sh', [
      '#!/bin/sh',
      'while read -r url rest; do',
      '  case "$url" in',
      ...Object.entries(connectMap).map(([from, to]) => `    '${from}') echo 'OK rewrite-url="${to}"' ;;`),
      '    *) echo ERR ;;',
      '  esac',
      'done',
      ''
    ].join('\n'), 0o755)
  }
  if (asUser) {
    chownSync(dir, asUser.uid, asUser.gid)
    for (const name of readdirSync(dir)) chownSync(join(dir, name), asUser.uid, asUser.gid)
  }

  let child: ChildProcess | undefined
  let output = ''
  let front: { port: number, close: () => Promise<void> } | undefined
  let port = 0
  let tlsPort: number | undefined
  const cacheLog = (): string => {
    try {
      return readFileSync(join(dir, 'cache.log'), 'utf8')
    } catch {
      return ''
    }
  }
  const killSync = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  const startTimeoutMs = options.startTimeoutMs ?? 20_000
  let lastFailure = ''
  try {
    for (let attempt = 0; attempt < 3 && !child; attempt++) {
      port = await freePort()
      tlsPort = options.tls && nativeTls ? await freePort() : undefined
      write('squid.conf', configuration({ dir, port, tlsPort, tls: options.tls, auth: options.auth, helpers, realm, connectMap }))
      if (asUser) chownSync(join(dir, 'squid.conf'), asUser.uid, asUser.gid)
      output = ''
      // A fresh diagnostic log per attempt (the checks below read it).
      rmSync(join(dir, 'cache.log'), { force: true })
      const started = spawn(squid, ['-N', '-f', join(dir, 'squid.conf')], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: dir, TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(asUser ?? {})
      })
      started.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
      started.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
      const spawnError = new Promise<Error>((resolve) => started.once('error', resolve))
      const deadline = Date.now() + startTimeoutMs
      let up = false
      while (Date.now() < deadline) {
        const failed = await Promise.race([spawnError, sleep(100).then(() => undefined)])
        if (failed) throw new Error(`cannot run ${squid}: ${failed.message}. ${INSTALL_SQUID}`)
        if (started.exitCode !== null || started.signalCode !== null) break
        // Squid may live on without a port it could not bind: no use waiting for it.
        if (/Address already in use|Cannot bind/i.test(cacheLog())) break
        if (await canConnect(port, false) && (tlsPort === undefined || await canConnect(tlsPort, true))) {
          up = true
          break
        }
      }
      if (up) {
        child = started
        break
      }
      if (started.exitCode === null && started.signalCode === null) {
        started.kill('SIGKILL')
        await waitForExit(started, 5000)
      }
      lastFailure = `squid exited with ${started.exitCode ?? started.signalCode} or did not accept connections within ${startTimeoutMs} ms:\n${output}\n${cacheLog()}`
      // A port taken between freePort() and squid's bind: try other ports; anything else is fatal.
      if (!/Address already in use|Cannot bind/i.test(lastFailure)) break
    }
    if (!child) throw new Error(lastFailure)
    process.once('exit', killSync)
    if (options.tls && !nativeTls) front = await startTlsFront(options.tls, port)
  } catch (error) {
    killSync()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const running = child

  const entries = (): AccessEntry[] => {
    let text = ''
    try {
      text = readFileSync(join(dir, 'access.log'), 'utf8')
    } catch {
      return []
    }
    return text.split('\n').map(parseEntry).filter((entry): entry is AccessEntry => entry !== undefined)
  }

  return {
    host: '127.0.0.1',
    port,
    ...(options.tls ? { tlsPort: front?.port ?? tlsPort, tlsTerminator: front ? 'node' as const : 'squid' as const, tlsEntryPort: front ? port : tlsPort } : {}),
    auth: options.auth,
    user,
    password,
    realm,
    dir,
    entries,
    cacheLog,
    async waitFor (predicate, { from = 0, nudge, timeoutMs = 10_000 } = {}) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = entries().slice(from).find(predicate)
        if (found) return found
        if (Date.now() > deadline) {
          throw new Error(`no matching line in squid's access log within ${timeoutMs} ms; the log from line ${from}:\n` +
            entries().slice(from).map((entry) => entry.raw).join('\n'))
        }
        nudge?.()
        await sleep(50)
      }
    },
    async stop () {
      await front?.close()
      if (running.exitCode === null && running.signalCode === null) {
        running.kill('SIGTERM')
        if (!await waitForExit(running, 8000)) {
          running.kill('SIGKILL')
          await waitForExit(running, 5000)
        }
      }
      process.removeListener('exit', killSync)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
