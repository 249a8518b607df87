/**
 * Throw-away certificates for the tests, made at test time with the `openssl` CLI: a CA (what the gateway trusts
 * through `config.upstreamCa`) and server certificates it issues for the names and addresses a test serves (the
 * TLS sandbox standing in for `api.twilio.com`, a TLS proxy). Keys are EC P-256 (fast to make); certificates are
 * valid for two days. Nothing is written outside a temporary directory, deleted once the PEMs are read.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KeyPair {
  /** PEM certificate. */
  cert: string
  /** PEM private key (unencrypted). */
  key: string
}

export interface TestCa extends KeyPair {
  /** The CA's subject common name (unique per CA). */
  name: string
}

/** Names and addresses the tests' TLS servers answer for, unless a test asks for others. */
export const DEFAULT_SERVER_NAMES: readonly string[] = [
  '127.0.0.1', 'localhost', 'api.twilio.com', 'api.dublin.ie1.twilio.com'
]

function openssl (args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 20_000 })
  if (result.error) {
    throw new Error(`cannot run openssl (${result.error.message}): the TLS tests need the openssl CLI (apt-get install -y openssl)`)
  }
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`)
}

function withScratch<T> (work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-test-pki-'))
  try {
    return work(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A new self-signed CA. */
export function createCa (name = `gateway-test-ca-${randomBytes(4).toString('hex')}`): TestCa {
  return withScratch((dir) => {
    writeFileSync(join(dir, 'ca.cnf'), [
      '[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = ext', '',
      '[dn]', `CN = ${name}`, '',
      '[ext]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash', ''
    ].join('\n'))
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir)
    openssl(['req', '-x509', '-new', '-key', 'ca.key', '-config', 'ca.cnf', '-days', '2', '-sha256', '-out', 'ca.pem'], dir)
    return { name, cert: readFileSync(join(dir, 'ca.pem'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') }
  })
}

/** A server certificate issued by `ca` for `names` (DNS names and IP addresses; the first is the subject's CN). */
export function issueServerCertificate (ca: TestCa, names: readonly string[] = DEFAULT_SERVER_NAMES): KeyPair {
  if (names.length === 0) throw new Error('a server certificate needs at least one name')
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(', ')
  return withScratch((dir) => {
    writeFileSync(join(dir, 'ca.pem'), ca.cert)
    writeFileSync(join(dir, 'ca.key'), ca.key, { mode: 0o600 })
    writeFileSync(join(dir, 'server.cnf'), [
      '[req]', 'distinguished_name = dn', 'prompt = no', '',
      '[dn]', `CN = ${names[0]}`, ''
    ].join('\n'))
    writeFileSync(join(dir, 'ext.cnf'), [
      'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth', `subjectAltName = ${altNames}`, 'authorityKeyIdentifier = keyid', ''
    ].join('\n'))
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key'], dir)
    openssl(['req', '-new', '-key', 'server.key', '-config', 'server.cnf', '-out', 'server.csr'], dir)
    // A random serial: two certificates of one CA never share one.
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-sha256', '-extfile', 'ext.cnf', '-out', 'server.pem'], dir)
    return { cert: readFileSync(join(dir, 'server.pem'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8') }
  })
}

/** A self-signed server certificate (its own issuer, no CA behind it) for `names`. */
export function selfSignedServerCertificate (names: readonly string[] = DEFAULT_SERVER_NAMES): KeyPair {
  if (names.length === 0) throw new Error('a server certificate needs at least one name')
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(', ')
  return withScratch((dir) => {
    writeFileSync(join(dir, 'self.cnf'), [
      '[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = ext', '',
      '[dn]', `CN = ${names[0]}`, '',
      '[ext]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth', `subjectAltName = ${altNames}`, ''
    ].join('\n'))
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'self.key'], dir)
    openssl(['req', '-x509', '-new', '-key', 'self.key', '-config', 'self.cnf', '-days', '2', '-sha256', '-out', 'self.pem'], dir)
    return { cert: readFileSync(join(dir, 'self.pem'), 'utf8'), key: readFileSync(join(dir, 'self.key'), 'utf8') }
  })
}

export interface TestPki {
  /** The CA the gateway is told to trust (`config.upstreamCa: [pki.ca.cert]`). */
  ca: TestCa
  /** Issued by `ca` for DEFAULT_SERVER_NAMES (or the names asked for). */
  server: KeyPair
}

/** A CA and one server certificate from it. */
export function createTestPki (names: readonly string[] = DEFAULT_SERVER_NAMES): TestPki {
  const ca = createCa()
  return { ca, server: issueServerCertificate(ca, names) }
}
