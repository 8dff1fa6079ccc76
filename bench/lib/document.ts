import type { BenchConfig } from './config.js'
import type { MachineInfo } from './machine.js'

/** The header every results file starts with: when, on what, with which settings. */
export function machineSection (machine: MachineInfo, config: BenchConfig, seconds: number): string {
  const mode = config.quick ? 'BENCH_QUICK=1 (smoke run: too short for conclusions)' : 'full'
  return [
    `- date: ${machine.date}`,
    `- node: ${machine.node}, ${machine.platform}`,
    `- CPU: ${machine.cpu} × ${machine.cores} cores, ${machine.memoryGb} GB RAM`,
    `- mode: ${mode}${config.only === undefined ? '' : `, only: ${[...config.only].join(', ')}`}; took ${seconds.toFixed(0)} s`
  ].join('\n')
}
