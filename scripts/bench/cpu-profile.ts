import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ThreadProfile {
  file: string;
  seconds: number;
  /** Self time by function, largest first: [name (file:line), share of this thread's samples]. */
  top: [string, number][];
}

/**
 * Summarizes the .cpuprofile files `node --cpu-prof` wrote (one per thread, workers
 * included): for each thread, its busiest functions by self time.
 */
export function summarizeProfiles(dir: string, topN = 8): ThreadProfile[] {
  const out: ThreadProfile[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    for (const id of profile.samples) {
      const frame = byId.get(id)?.callFrame;
      if (frame === undefined) continue;
      const where = frame.url === '' ? '' : ` (${basename(frame.url)}:${frame.lineNumber + 1})`;
      const key = `${frame.functionName || '(anonymous)'}${where}`;
      self.set(key, (self.get(key) ?? 0) + 1);
    }
    const total = profile.samples.length || 1;
    const top = [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([k, v]) => [k, v / total] as [string, number]);
    out.push({ file: name, seconds: (profile.endTime - profile.startTime) / 1e6, top });
  }
  return out.sort((a, b) => b.seconds - a.seconds);
}
