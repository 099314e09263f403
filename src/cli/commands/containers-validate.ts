// The values docker's CLI checks itself before asking the daemon (its opts
// package): each throws docker's message, which the flag layer prints as
// `invalid argument "bogus" for "--dns" flag: …` (exit 125, nothing created).

const SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** opts.ValidateSysctl: the namespaced ones only (net.*, fs.mqueue.*, the IPC kernel.* set). */
export function validateSysctl(v: string): string {
  const parts = v.split('=');
  const key = parts[0]!;
  if (parts.length >= 2 && (SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.'))) return v;
  throw new Error(`sysctl '${v}' is not allowed`);
}

/** opts.ValidateEnv's check: a variable needs a name. */
export function validateEnv(v: string): string {
  const eq = v.indexOf('=');
  if ((eq < 0 ? v : v.slice(0, eq)) === '') throw new Error(`invalid environment variable: ${v}`);
  return v;
}

/** logrus.ParseLevel's names, for the global --log-level. */
export const LOG_LEVELS = new Set(['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace']);

/** `/dev/sda:VALUE` split as docker's throttle and weight parsers split it. */
function deviceValue(v: string): [string, string] {
  const parts = v.split(':');
  if (parts.length !== 2) throw new Error(`bad format: ${v}`);
  if (!parts[0]!.startsWith('/dev/')) throw new Error(`bad format for device path: ${v}`);
  return [parts[0]!, parts[1]!];
}

/** opts.ValidateWeightDevice: --blkio-weight-device /dev/sda:100. */
export function validateWeightDevice(v: string): { Path: string; Weight: number } {
  const [path, value] = deviceValue(v);
  const weight = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(weight <= 65535) || (weight > 0 && (weight < 10 || weight > 1000))) throw new Error(`invalid weight for device: ${v}`);
  return { Path: path, Weight: weight };
}

/** opts.ValidateThrottleBpsDevice: --device-read-bps /dev/sda:1mb. */
export function throttleBps(ramInBytes: (s: string) => number): (v: string) => { Path: string; Rate: number } {
  return (v) => {
    const [path, value] = deviceValue(v);
    let rate = -1;
    try {
      rate = ramInBytes(value);
    } catch {
      rate = -1;
    }
    if (rate < 0) {
      throw new Error(`invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    }
    return { Path: path, Rate: rate };
  };
}

/** opts.ValidateThrottleIOpsDevice: --device-read-iops /dev/sda:1000. */
export function validateThrottleIOps(v: string): { Path: string; Rate: number } {
  const [path, value] = deviceValue(v);
  if (!/^\d+$/.test(value)) throw new Error(`invalid rate for device: ${v}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  return { Path: path, Rate: Number(value) };
}

// The device cgroup rules and attached streams are the flags' own checks, as docker's (125 with the usage).
const DEVICE_CGROUP_RULE = /^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/;

export function validateDeviceCgroupRule(v: string): string {
  if (!DEVICE_CGROUP_RULE.test(v)) throw new Error(`invalid device cgroup format '${v}'`);
  return v;
}

/** -a: one of stdin, stdout, stderr (any case; kept lower-cased). */
export function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (!['stdin', 'stdout', 'stderr'].includes(s)) throw new Error('valid streams are STDIN, STDOUT and STDERR');
  return s;
}

/** opts.GpuOpts: `all`, a count, or `count=N,device=a,b,driver=x,capabilities=y` (one request). */
export function parseGpus(v: string): { Driver: string; Count: number; DeviceIDs: string[] | null; Capabilities: string[][]; Options: Record<string, string> } {
  const req = { Driver: '', Count: 0, DeviceIDs: null as string[] | null, Capabilities: [['gpu']], Options: {} as Record<string, string> };
  const count = (value: string) => {
    if (value === 'all') return -1;
    if (!/^[+-]?\d+$/.test(value)) throw new Error(`invalid count (${value}): value must be either "all" or an integer: invalid syntax`);
    return Number(value);
  };
  for (const field of v.split(',')) {
    const eq = field.indexOf('=');
    // A field without '=' is the count.
    if (eq < 0) {
      req.Count = count(field);
      continue;
    }
    const [key, value] = [field.slice(0, eq), field.slice(eq + 1)];
    if (key === 'count') req.Count = count(value);
    else if (key === 'device') req.DeviceIDs = value.split(',');
    else if (key === 'driver') req.Driver = value;
    else if (key === 'capabilities') req.Capabilities = [value.split(',')];
    else if (key === 'options') req.Options[value] = '';
    else throw new Error(`unexpected key '${key}' in '${field}'`);
  }
  return req;
}
