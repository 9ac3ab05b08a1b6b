/** Shared by the memory tests: a dump unlike the sample's size, and real memory cgroups. */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
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

/** A memory cgroup of `mb` MB (v2 or v1), or null with the reason it cannot be made here. */
export function makeCgroup(name: string, mb: number): { procs: string; events: () => string; remove: () => void } | string {
  const v2 = '/sys/fs/cgroup/cgroup.controllers';
  try {
    if (existsSync(v2)) {
      if (!readFileSync(v2, 'utf8').includes('memory')) return 'cgroup v2 without the memory controller';
      const dir = `/sys/fs/cgroup/${name}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), String(mb * MiB));
      writeFileSync(join(dir, 'memory.swap.max'), '0');
      return { procs: join(dir, 'cgroup.procs'), events: () => readFileSync(join(dir, 'memory.events'), 'utf8'), remove: () => rmdirSync(dir) };
    }
    const dir = `/sys/fs/cgroup/memory/${name}`;
    if (!existsSync('/sys/fs/cgroup/memory')) return 'no cgroup memory controller mounted';
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(mb * MiB));
    try {
      writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(mb * MiB));
    } catch {
      // no swap accounting: the machine has no swap to escape to either way
    }
    return { procs: join(dir, 'cgroup.procs'), events: () => readFileSync(join(dir, 'memory.oom_control'), 'utf8'), remove: () => rmdirSync(dir) };
  } catch (err) {
    return `cannot create a memory cgroup here: ${(err as Error).message}`;
  }
}


/** A cgroup removed after the test, or null when the test was skipped (the reason printed). */
export function cgroupForTest(t: TestContext, name: string, mb: number): { procs: string; events: () => string } | null {
  const cgroup = makeCgroup(name, mb);
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
  return cgroup;
}
