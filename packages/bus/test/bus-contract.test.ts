import { Subjects, type BusMessage, type Delivery } from '@weir/core';
import { serviceAvailable } from '@weir/testing';
import { inProcessBackend, natsBackend, sleep, uid, waitFor, type Backend, type BusHarness } from './bus-harness.js';

// The NATS backend runs against the real server; without one it is skipped (or fails under WEIR_REQUIRE_SERVICES=1).
const natsUp = await serviceAvailable('nats');
const BACKENDS: Array<{ backend: Backend; available: boolean }> = [
  { backend: inProcessBackend, available: true },
  { backend: natsBackend, available: natsUp },
];

for (const { backend, available } of BACKENDS) {
  (available ? describe : describe.skip)(backend.name, () => {
    let h: BusHarness;

    beforeAll(async () => {
      h = await backend.open();
    });

    afterAll(async () => {
      await h?.teardown();
    });

    describe('subscribe', () => {
      it('fans a published message out to every subscriber, headers and msgId included', async () => {
        const other = await h.connect();
        const subject = Subjects.event(`deploy-${uid()}`);
        const msgId = uid();
        const a: BusMessage[] = [];
        const b: BusMessage[] = [];
        await h.bus.subscribe('weir.event.>', (m) => {
          if (m.subject === subject) a.push(m);
        });
        await other.bus.subscribe(subject, (m) => {
          b.push(m);
        });
        await h.bus.publish(subject, { n: 1 }, { msgId, headers: { 'trace-id': 'abc' } });
        await waitFor('both subscribers', () => a.length === 1 && b.length === 1);
        expect(a[0]).toEqual({ subject, data: { n: 1 }, headers: { 'trace-id': 'abc' }, msgId });
        expect(b[0]).toEqual(a[0]);
      });

      it('hands every subscriber its own copy, so mutating one changes no other', async () => {
        const subject = Subjects.event(uid());
        const sent = { tags: ['a'] };
        const seen: unknown[] = [];
        await h.bus.subscribe(subject, (m) => {
          (m.data as { tags: string[] }).tags.push('mutated');
        });
        await h.bus.subscribe(subject, (m) => {
          seen.push(m.data);
        });
        await h.bus.publish(subject, sent);
        await waitFor('second subscriber', () => seen.length === 1);
        await sleep(20);
        expect(sent).toEqual({ tags: ['a'] });
        expect(seen[0]).toEqual({ tags: ['a'] });
      });
    });

    describe('publish', () => {
      it('rejects a subject that no stream holds', async () => {
        await expect(h.bus.publish('weir.nowhere.x', {})).rejects.toMatchObject({ code: 'BUS_NO_STREAM' });
      });

      it('drops a second publish with the same msgId', async () => {
        const subject = Subjects.task(uid());
        const msgId = uid();
        await h.bus.publish(subject, { n: 1 }, { msgId });
        await h.bus.publish(subject, { n: 2 }, { msgId });
        await h.bus.publish(subject, { n: 3 }, { msgId: uid() });
        const got: unknown[] = [];
        await h.bus.consume({ name: `dedup-${uid()}`, subject }, async (d) => {
          got.push(d.data);
        });
        await waitFor('two messages', () => got.length === 2);
        await sleep(300);
        expect(got).toEqual([{ n: 1 }, { n: 3 }]);
      });
    });

    describe('publishMany', () => {
      it('stores every message, in order, with its headers and msgId', async () => {
        const subject = Subjects.task(uid());
        const ids = [uid(), uid(), uid()];
        await h.bus.publishMany(ids.map((msgId, n) => ({ subject, data: { n }, options: { msgId, headers: { 'trace-id': `t${n}` } } })));
        const got: Array<{ data: unknown; msgId: string | undefined; headers: Record<string, string> }> = [];
        await h.bus.consume({ name: `many-${uid()}`, subject }, async (d) => {
          got.push({ data: d.data, msgId: d.msgId, headers: d.headers });
        });
        await waitFor('three messages', () => got.length === 3);
        expect(got).toEqual(ids.map((msgId, n) => ({ data: { n }, msgId, headers: { 'trace-id': `t${n}` } })));
      });

      it('drops messages whose msgId was already published, so a retried batch stores nothing twice', async () => {
        const subject = Subjects.task(uid());
        const [a, b] = [uid(), uid()];
        await h.bus.publishMany([{ subject, data: { n: 1 }, options: { msgId: a } }]);
        await h.bus.publishMany([
          { subject, data: { n: 1 }, options: { msgId: a } },
          { subject, data: { n: 2 }, options: { msgId: b } },
        ]);
        const got: unknown[] = [];
        await h.bus.consume({ name: `many-dedup-${uid()}`, subject }, async (d) => {
          got.push(d.data);
        });
        await waitFor('two messages', () => got.length === 2);
        await sleep(300);
        expect(got).toEqual([{ n: 1 }, { n: 2 }]);
      });

      it('publishes nothing when one subject has no stream', async () => {
        const subject = Subjects.task(uid());
        await expect(h.bus.publishMany([{ subject, data: { n: 1 } }, { subject: 'weir.nowhere.x', data: {} }])).rejects.toMatchObject({ code: 'BUS_NO_STREAM' });
        const got: unknown[] = [];
        await h.bus.consume({ name: `many-none-${uid()}`, subject }, async (d) => {
          got.push(d.data);
        });
        await sleep(300);
        expect(got).toEqual([]);
      });

      it('resolves at once for no messages', async () => {
        await expect(h.bus.publishMany([])).resolves.toBeUndefined();
      });
    });

    describe('durable consumer', () => {
      it('consumes messages published before the consumer existed', async () => {
        const subject = Subjects.task(uid());
        for (let n = 0; n < 3; n++) await h.bus.publish(subject, { n });
        const got: unknown[] = [];
        await h.bus.consume({ name: `late-${uid()}`, subject }, async (d) => {
          got.push(d.data);
        });
        await waitFor('three messages', () => got.length === 3);
        expect(got).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      });

      it('gives each durable consumer of a limits stream every message', async () => {
        const subject = Subjects.trigger(`core.webhook-${uid()}`);
        await h.bus.publish(subject, { n: 1 });
        const rules: unknown[] = [];
        const audit: unknown[] = [];
        await h.bus.consume({ name: `rules-${uid()}`, subject }, async (d) => {
          rules.push(d.data);
        });
        await h.bus.consume({ name: `audit-${uid()}`, subject }, async (d) => {
          audit.push(d.data);
        });
        await waitFor('both consumers', () => rules.length === 1 && audit.length === 1);
      });

      it('delivers each message to exactly one member of a consumer shared by two processes', async () => {
        const other = await h.connect();
        const subject = Subjects.task(uid());
        const name = `shared-${uid()}`;
        const got: Array<{ member: string; n: number }> = [];
        const handler = (member: string) => async (d: Delivery<{ n: number }>) => {
          await sleep(5);
          got.push({ member, n: d.data.n });
        };
        await h.bus.consume({ name, subject }, handler('a'));
        await other.bus.consume({ name, subject }, handler('b'));
        for (let n = 0; n < 20; n++) await h.bus.publish(subject, { n });
        await waitFor('twenty messages', () => got.length >= 20);
        await sleep(200);
        expect(got.map((g) => g.n).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
        expect(new Set(got.map((g) => g.member))).toEqual(new Set(['a', 'b']));
      });

      it('hands a member at most `concurrency` deliveries at once', async () => {
        const subject = Subjects.task(uid());
        let active = 0;
        let peak = 0;
        let done = 0;
        await h.bus.consume({ name: `busy-${uid()}`, subject, concurrency: 3 }, async () => {
          active++;
          peak = Math.max(peak, active);
          await sleep(40);
          active--;
          done++;
        });
        for (let n = 0; n < 10; n++) await h.bus.publish(subject, { n });
        await waitFor('ten messages', () => done === 10);
        expect(peak).toBe(3);
      });

      it('refuses a second consumer whose subject overlaps on the task work queue', async () => {
        const runner = uid();
        await h.bus.consume({ name: `runner-${runner}`, subject: Subjects.task(runner) }, async () => {});
        await expect(
          h.bus.consume({ name: `other-${uid()}`, subject: Subjects.task(runner) }, async () => {}),
        ).rejects.toMatchObject({ code: 'BUS_CONSUMER_INVALID' });
      });
    });

    describe('settling', () => {
      it('never delivers an acked message again, even after the ack timeout', async () => {
        const subject = Subjects.task(uid());
        const attempts: number[] = [];
        await h.bus.consume({ name: `ack-${uid()}`, subject, ackTimeoutMs: 300 }, async (d) => {
          attempts.push(d.attempt);
          await d.ack();
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('first delivery', () => attempts.length === 1);
        await sleep(700);
        expect(attempts).toEqual([1]);
      });

      it('acks for a handler that returns without settling', async () => {
        const subject = Subjects.task(uid());
        const attempts: number[] = [];
        await h.bus.consume({ name: `implicit-${uid()}`, subject, ackTimeoutMs: 300 }, async (d) => {
          attempts.push(d.attempt);
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('first delivery', () => attempts.length === 1);
        await sleep(700);
        expect(attempts).toEqual([1]);
      });

      it('redelivers a nak\'d message as attempt 2', async () => {
        const subject = Subjects.task(uid());
        const attempts: number[] = [];
        await h.bus.consume({ name: `nak-${uid()}`, subject }, async (d) => {
          attempts.push(d.attempt);
          if (d.attempt === 1) await d.nak();
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('redelivery', () => attempts.length === 2);
        expect(attempts).toEqual([1, 2]);
      });

      it('holds a message nak\'d with a delay until the delay has passed', async () => {
        const subject = Subjects.task(uid());
        const at: number[] = [];
        await h.bus.consume({ name: `delay-${uid()}`, subject }, async (d) => {
          at.push(Date.now());
          if (d.attempt === 1) await d.nak(700);
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('delayed redelivery', () => at.length === 2);
        expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(650);
      });

      it('pushes the ack timeout back while the handler reports it is working', async () => {
        const subject = Subjects.task(uid());
        const attempts: number[] = [];
        let finished = false;
        await h.bus.consume({ name: `working-${uid()}`, subject, ackTimeoutMs: 400 }, async (d) => {
          attempts.push(d.attempt);
          for (let i = 0; i < 5; i++) {
            await sleep(150);
            await d.working();
          }
          finished = true;
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('handler to finish', () => finished);
        await sleep(200);
        expect(attempts).toEqual([1]);
      });
    });

    describe('keep-alive', () => {
      it('keeps a slow handler\'s delivery with keepAliveMs, and redelivers it after the ack timeout without', async () => {
        const attemptsOf = async (keepAliveMs: number | undefined): Promise<number[]> => {
          const subject = Subjects.task(uid());
          const attempts: number[] = [];
          let finished = false;
          await h.bus.consume({ name: `keepalive-${uid()}`, subject, ackTimeoutMs: 400, concurrency: 2, ...(keepAliveMs ? { keepAliveMs } : {}) }, async (d) => {
            attempts.push(d.attempt);
            if (d.attempt > 1) return;
            await sleep(1_000);
            finished = true;
          });
          await h.bus.publish(subject, { n: 1 });
          await waitFor('handler to finish', () => finished);
          await sleep(300);
          return attempts;
        };
        expect(await attemptsOf(120)).toEqual([1]);
        expect((await attemptsOf(undefined)).length).toBeGreaterThan(1);
      });

      it('refuses a keepAliveMs not below the ack timeout', async () => {
        await expect(h.bus.consume({ name: `keepalive-${uid()}`, subject: Subjects.task(uid()), ackTimeoutMs: 400, keepAliveMs: 400 }, async () => {})).rejects.toThrow(/keepAliveMs/);
      });
    });

    describe('failure', () => {
      it('redelivers to another member after the ack timeout when a member dies holding a message', async () => {
        const doomed = await h.connect();
        const subject = Subjects.task(uid());
        const name = `crash-${uid()}`;
        let release = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        const firstAt: number[] = [];
        await doomed.bus.consume({ name, subject, ackTimeoutMs: 500 }, async () => {
          firstAt.push(Date.now());
          await held;
        });
        await h.bus.publish(subject, { job: 7 });
        await waitFor('delivery to the doomed member', () => firstAt.length === 1);
        await doomed.crash();

        const seen: Array<{ attempt: number; data: unknown; at: number }> = [];
        await h.bus.consume({ name, subject, ackTimeoutMs: 500 }, async (d) => {
          seen.push({ attempt: d.attempt, data: d.data, at: Date.now() });
        });
        await waitFor('redelivery to the survivor', () => seen.length === 1);
        release();
        expect(seen[0]).toMatchObject({ attempt: 2, data: { job: 7 } });
        expect((seen[0]?.at ?? 0) - (firstAt[0] ?? 0)).toBeGreaterThanOrEqual(450);
      });

      it('dead-letters a message whose handler keeps failing, once, with the reason and attempts', async () => {
        const subject = Subjects.task(uid());
        const name = `doomed-${uid()}`;
        const msgId = uid();
        const attempts: number[] = [];
        await h.bus.consume({ name, subject, maxDeliver: 3 }, async (d) => {
          attempts.push(d.attempt);
          throw new Error('runner exploded');
        });
        await h.bus.publish(subject, { host: 'ams-1' }, { msgId, headers: { 'trace-id': 't-9' } });
        await waitFor('dead letter', () => h.letters.some((l) => l.subject === subject));
        await sleep(400);
        expect(attempts).toEqual([1, 2, 3]);
        expect(h.letters.filter((l) => l.subject === subject)).toEqual([
          {
            subject,
            consumer: name,
            data: { host: 'ams-1' },
            headers: { 'trace-id': 't-9' },
            msgId,
            attempts: 3,
            reason: 'handler failed: runner exploded',
          },
        ]);
      });

      it('dead-letters a message still unacknowledged after maxDeliver deliveries', async () => {
        const subject = Subjects.task(uid());
        const attempts: number[] = [];
        await h.bus.consume({ name: `naks-${uid()}`, subject, maxDeliver: 2 }, async (d) => {
          attempts.push(d.attempt);
          await d.nak();
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('dead letter', () => h.letters.some((l) => l.subject === subject));
        await sleep(300);
        expect(attempts).toEqual([1, 2]);
        expect(h.letters.filter((l) => l.subject === subject)).toMatchObject([
          { attempts: 2, reason: 'not acknowledged after 2 deliveries' },
        ]);
      });

      it('dead-letters a message the handler terms, with the handler\'s reason', async () => {
        const subject = Subjects.task(uid());
        await h.bus.consume({ name: `term-${uid()}`, subject }, async (d) => {
          await d.term('host is blacklisted');
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('dead letter', () => h.letters.some((l) => l.subject === subject));
        expect(h.letters.filter((l) => l.subject === subject)).toMatchObject([{ attempts: 1, reason: 'host is blacklisted' }]);
      });
    });

    describe('close', () => {
      it('waits for the deliveries in hand, which end acked', async () => {
        const member = await h.connect();
        const subject = Subjects.task(uid());
        const name = `closing-${uid()}`;
        let started = false;
        let finished = false;
        await member.bus.consume({ name, subject, ackTimeoutMs: 400 }, async () => {
          started = true;
          await sleep(300);
          finished = true;
        });
        await h.bus.publish(subject, { n: 1 });
        await waitFor('handler to start', () => started);
        await member.bus.close();
        expect(finished).toBe(true);

        const again: unknown[] = [];
        await h.bus.consume({ name, subject, ackTimeoutMs: 400 }, async (d) => {
          again.push(d.data);
        });
        await sleep(800);
        expect(again).toEqual([]);
      });

      it('refuses to publish once closed', async () => {
        const member = await h.connect();
        await member.bus.close();
        await expect(member.bus.publish(Subjects.task(uid()), {})).rejects.toMatchObject({ code: 'BUS_CLOSED' });
      });
    });
  });
}
