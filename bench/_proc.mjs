// CPU time of processes from /proc (Linux), for the benches' "CPU ms per request / message" figures.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, ms) process `pid` has used; 0 when it is gone. */
export function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return 0;
  }
}

/** CPU time (ms) of every process named `name` (PostgreSQL's backends, redis-server). */
export function cpuMsNamed(name) {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .reduce((sum, pid) => sum + cpuMsOf(pid), 0);
}
