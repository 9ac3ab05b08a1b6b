import { existsSync, readFileSync } from 'node:fs';
import { DurableAppender } from '../store/durable-file.js';

export type TaskStatus = 'enqueued' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export const TASK_STATUSES: readonly TaskStatus[] = ['enqueued', 'processing', 'succeeded', 'failed', 'canceled'];
export type TaskType =
  | 'indexCreation'
  | 'indexUpdate'
  | 'indexDeletion'
  | 'documentAdditionOrUpdate'
  | 'documentDeletion'
  | 'settingsUpdate';
export const TASK_TYPES: readonly TaskType[] = [
  'indexCreation',
  'indexUpdate',
  'indexDeletion',
  'documentAdditionOrUpdate',
  'documentDeletion',
  'settingsUpdate',
];

/** A task as Meilisearch shows it, plus `payload`: what is needed to run it again after a restart. */
export interface Task {
  uid: number;
  batchUid: number | null;
  indexUid: string | null;
  status: TaskStatus;
  type: TaskType;
  canceledBy: null;
  details: Record<string, unknown>;
  error: { message: string; code: string; type: string; link: string } | null;
  duration: string | null;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  payload?: unknown;
}

/** The task as the API shows it (without the replay payload). */
export function publicTask(task: Task): Omit<Task, 'payload'> {
  const { payload: _payload, ...rest } = task;
  return rest;
}

/**
 * Every state of every task, one JSON line per change, fsynced before the change is
 * reported: the last line of a uid is its state. A torn last line (kill -9 in mid-write)
 * is skipped on load, since its change was never acknowledged.
 */
export class TaskLog {
  private readonly tasks = new Map<number, Task>();
  private readonly appender: DurableAppender;
  private next = 0;

  constructor(file: string) {
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const task = JSON.parse(line) as Task;
          this.tasks.set(task.uid, task);
          this.next = Math.max(this.next, task.uid + 1);
        } catch {
          // the torn tail of an append cut by a crash
        }
      }
    }
    this.appender = new DurableAppender(file);
  }

  get nextUid(): number {
    return this.next;
  }

  /** Records a new task (uid assigned here) durably and returns it. */
  enqueue(fields: Pick<Task, 'indexUid' | 'type' | 'details'> & { payload?: unknown }): Task {
    const task: Task = {
      uid: this.next++,
      batchUid: null,
      indexUid: fields.indexUid,
      status: 'enqueued',
      type: fields.type,
      canceledBy: null,
      details: fields.details,
      error: null,
      duration: null,
      enqueuedAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      ...(fields.payload === undefined ? {} : { payload: fields.payload }),
    };
    this.write(task);
    return task;
  }

  /** Writes a changed task. Finished tasks drop their payload: it is never needed again. */
  update(task: Task): void {
    if (task.status === 'succeeded' || task.status === 'failed') delete task.payload;
    this.write(task);
  }

  private write(task: Task): void {
    this.tasks.set(task.uid, task);
    this.appender.append(`${JSON.stringify(task)}\n`);
  }

  get(uid: number): Task | undefined {
    return this.tasks.get(uid);
  }

  /** Tasks newest first. */
  all(): Task[] {
    return [...this.tasks.values()].sort((a, b) => b.uid - a.uid);
  }

  /** Tasks left enqueued or processing by the previous run, oldest first. */
  unfinished(): Task[] {
    return [...this.tasks.values()].filter((t) => t.status === 'enqueued' || t.status === 'processing').sort((a, b) => a.uid - b.uid);
  }

  close(): void {
    this.appender.close();
  }
}
