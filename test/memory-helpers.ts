/** Shared by the memory tests: a dump unlike the sample's size, and real memory cgroups. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { memoryCgroup } from '../scripts/bench/cgroup.js';
import { mulberry32 } from '../scripts/prng.js';
import { sampleDocs } from './helpers.js';

const MiB = 1024 * 1024;

/** ~`mb` MB of NDJSON: the sample's paragraphs recombined (seeded), identifiers mixed in, one long article. */
export function writeDump(file: string, mb: number, longMiB: number): void {
  const random = mulberry32(11);
  const paragraphs = sampleDocs().flatMap((d) => (typeof d.body === 'string' ? d.body.split(/\n+/) : []).filter((p) => p.length > 20));
  const pick = () => paragraphs[Math.floor(random() * paragraphs.length)] as string;
  const ident = () => `fn_${Math.floor(random() * 2 ** 32).toString(36)}_${Math.floor(random() * 1e6).toString(16)}`;
  const fd = openSync(file, 'w');
  let bytes = 0;
  let n = 0;
  while (bytes < mb * 1e6) {
    const parts: string[] = [];
    const len = 2 + Math.floor(random() * 30);
    for (let i = 0; i < len; i++) parts.push(random() < 0.3 ? `${pick()} ${ident()} ${ident()}` : pick());
    const line = `${JSON.stringify({ id: `d${n++}`, title: pick().slice(0, 30), body: parts.join('\n'), tags: ['t'] })}\n`;
    bytes += writeSync(fd, line);
  }
  const long: string[] = [];
  let longBytes = 0;
  while (longBytes < longMiB * MiB) {
    const p = `${pick()} ${ident()}`;
    long.push(p);
    longBytes += Buffer.byteLength(p) + 1;
  }
  writeSync(fd, `${JSON.stringify({ id: 'long', title: '一篇很长的文章', body: long.join('\n') })}\n`);
  closeSync(fd);
}

/** A cgroup removed after the test, or null when the test was skipped (the reason printed). */
export function cgroupForTest(t: TestContext, name: string, mb: number): { procs: string; events: () => string } | null {
  const cgroup = memoryCgroup(name, mb * MiB);
  if (typeof cgroup === 'string') {
    t.skip(cgroup);
    return null;
  }
  t.after(() => {
    try {
      cgroup.remove();
    } catch {
      // still has a process: the kernel removes it with the last one
    }
  });
  return { procs: join(cgroup.dir, 'cgroup.procs'), events: () => `${cgroup.oomKills()} OOM kills in the ${cgroup.kind} cgroup` };
}
