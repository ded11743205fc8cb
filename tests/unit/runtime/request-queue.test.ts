import { describe, expect, it } from 'vitest';
import { RequestQueue, runWhenIdle } from '../../../src/runtime/request-queue';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await tick(5);
  }
}

describe('request queue', () => {
  it('runs tasks one at a time, in the order they were queued', async () => {
    const queue = new RequestQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, ms: number) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([queue.request(task('a', 20)), queue.run(task('b', 1)), queue.request(task('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('keeps going after a task fails, and hands the failure to its caller only', async () => {
    const queue = new RequestQueue();
    const failed = queue.request(() => Promise.reject(new Error('boom')));
    const next = queue.request(async () => 'after');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('after');
    expect(queue.waiting).toBe(0);
  });

  it('counts requests until they start, not idle work', async () => {
    const queue = new RequestQueue();
    let release!: () => void;
    const blocker = queue.run(() => new Promise<void>((r) => (release = r)));
    const first = queue.request(async () => undefined);
    const second = queue.request(async () => undefined);
    void queue.run(async () => undefined);
    await tick();
    expect(queue.waiting).toBe(2);
    release();
    await Promise.all([blocker, first, second]);
    expect(queue.waiting).toBe(0);
  });
});

describe('idle work', () => {
  it('steps aside for requests and stops when nothing is pending', async () => {
    const queue = new RequestQueue();
    const log: string[] = [];
    let left = 3;
    runWhenIdle(
      queue,
      {
        pending: () => left > 0,
        step: async () => {
          log.push(`step ${left--}`);
        },
      },
      10,
      5,
    );
    // Sent before the first step's delay is over: the request goes first.
    await queue.request(async () => void log.push('request'));
    await until(() => left === 0);
    await tick(40);
    expect(log).toEqual(['request', 'step 3', 'step 2', 'step 1']);
  });

  it('does not run a step while a request waits, and carries on after a failing step', async () => {
    const queue = new RequestQueue();
    let release!: () => void;
    void queue.request(() => new Promise<void>((r) => (release = r)));
    const steps: number[] = [];
    let n = 0;
    runWhenIdle(
      queue,
      {
        pending: () => n < 2,
        step: async () => {
          steps.push(++n);
          if (n === 1) throw new Error('step failed');
        },
      },
      1,
      1,
    );
    await tick(30);
    expect(steps).toEqual([]); // the request is still running: idle work waits
    release();
    await until(() => n === 2);
    expect(steps).toEqual([1, 2]);
  });

  it('ends at once when the work no longer applies', async () => {
    const queue = new RequestQueue();
    let stepped = false;
    runWhenIdle(queue, { pending: () => false, step: async () => void (stepped = true) }, 1, 1);
    await tick(20);
    expect(stepped).toBe(false);
  });
});
