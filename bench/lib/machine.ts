import os from 'node:os'

export interface MachineInfo {
  date: string
  node: string
  cpu: string
  cores: number
  memoryGb: number
  platform: string
}

export function machineInfo (): MachineInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`
  }
}
