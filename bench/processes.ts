/**
 * The benchmark's processes: the Twilio sandbox and the gateway, each in a process of its own on loopback, as
 * `npm run sandbox` and `npm start` run them (the built `dist/`), and a sampler of a process's resident memory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export { freePort } from '../test/helpers/process.js'

export const ROOT = new URL('../', import.meta.url).pathname

export interface Running {
  child: ChildProcess
  baseUrl: string
  stop (): Promise<void>
}

/** Starts `node <script>` with `env` and waits until `readyPath` answers 200 (or, with `anyAnswer`, anything). */
export async function startNode (script: string, env: Record<string, string>, port: number, readyPath: string, anyAnswer = false): Promise<Running> {
  // Output goes nowhere, as a production log shipper would take it: written, not read here.
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let errors = ''
  child.stderr!.on('data', (chunk: Buffer) => { errors += chunk.toString() })
  const baseUrl = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const running: Running = {
    child,
    baseUrl,
    async stop () {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    }
  }
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${errors}`)
    const answered = await fetch(`${baseUrl}${readyPath}`).then((response) => anyAnswer || response.ok, () => false)
    if (answered) return running
    await sleep(100)
  }
  await running.stop()
  throw new Error(`${script} did not become ready: ${errors}`)
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb (pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : NaN
}

/** Samples a process's resident memory every `everyMs` until stopped; answers the highest seen. */
export function rssSampler (pid: number, everyMs = 20): { stop (): number } {
  let peak = rssMb(pid)
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)) }, everyMs)
  return {
    stop () {
      clearInterval(timer)
      return Math.max(peak, rssMb(pid))
    }
  }
}

/** CPU time a process has used so far (user + system, all its threads), in ms (Linux). */
export function cpuMs (pid: number): number {
  // Fields after the command name: state is the first, utime and stime the 12th and 13th, in clock ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** The machine's CPU time so far, in clock ticks: in all, and stolen by the hypervisor (Linux `/proc/stat`). */
export function machineCpu (): { total: number, steal: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal …
  return { total: ticks.slice(0, 8).reduce((sum, value) => sum + value, 0), steal: ticks[7] ?? 0 }
}
