// Signal names as Docker parses them (moby/sys/signal): "KILL", "SIGKILL",
// "kill" or a number; anything else is a 400 "Invalid signal: x".
import { constants } from 'node:os';
import { InvalidArgumentError } from '../errors';

const BY_NAME = constants.signals as Record<string, number>;

export function signalNumber(value: string | number): number {
  if (typeof value === 'number' || /^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= 1 && n <= 64) return n;
    throw new InvalidArgumentError(`Invalid signal: ${value}`);
  }
  const upper = value.toUpperCase();
  const rt = /^(?:SIG)?RTMIN\+(\d+)$/.exec(upper);
  if (rt) return 34 + Number(rt[1]);
  const n = BY_NAME[upper.startsWith('SIG') ? upper : `SIG${upper}`];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${value}`);
  return n;
}
