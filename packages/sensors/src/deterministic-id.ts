import { createHash } from 'node:crypto';
import type { TriggerId } from '@weir/core';

/**
 * A UUIDv7-shaped id that every replica computes alike for the same `(key, timeMs)`: the first
 * 48 bits are `timeMs` (so ids still sort by time), the rest comes from sha256 of both. Timers use
 * it with the scheduled tick time, so two replicas firing one tick publish the same msgId and the
 * bus keeps one.
 */
export function deterministicTriggerId(key: string, timeMs: number): TriggerId {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.floor(timeMs)) % 2 ** 48, 0, 6);
  createHash('sha256').update(`${key}\u0000${timeMs}`).digest().copy(bytes, 6, 0, 10);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70; // version 7
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` as TriggerId;
}
