import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/**
 * How many inotify watches this process holds on a file, by inode, from `/proc/self/fdinfo` of
 * its inotify descriptors: what a watch on a file (a log guard, a follower) costs, and whether it
 * was let go.
 *
 * @example
 * assert.equal(inotifyWatchesOn(logFile), 1);
 */
export function inotifyWatchesOn(file: string): number {
  const ino = statSync(file).ino.toString(16);
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let info: string;
    try {
      if (!readlinkSync(`/proc/self/fd/${fd}`).includes('inotify')) continue;
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of info.split('\n'))
      if (line.startsWith('inotify ') && line.includes(` ino:${ino} `)) n++;
  }
  return n;
}
