import { Streams, subjectMatches, type StreamName } from '@weir/core';
import { InvalidSubjectError, NoStreamError } from './errors.js';

const STREAM_NAMES = Object.keys(Streams) as StreamName[];

/**
 * The stream that holds `subject`. A consumer filter (`weir.task.>`) is matched the same way,
 * since every stream pattern is `weir.<kind>.>`: a filter belongs to a stream when the stream's
 * pattern matches it token for token.
 */
export function streamFor(subject: string): StreamName {
  for (const name of STREAM_NAMES) {
    if (Streams[name].subjects.some((pattern) => subjectMatches(pattern, subject))) return name;
  }
  throw new NoStreamError(subject);
}

/** Every stream name, in declaration order. */
export function allStreams(): readonly StreamName[] {
  return STREAM_NAMES;
}

/** Throws unless `subject` is a well-formed pattern: non-empty tokens, no spaces. */
export function assertSubscribable(subject: string): void {
  if (subject.split('.').some((token) => token === '' || /\s/.test(token))) {
    throw new InvalidSubjectError(subject, 'tokens must be non-empty and hold no spaces');
  }
}

/** Throws unless `subject` is concrete: messages go to one subject, never to a wildcard. */
export function assertPublishable(subject: string): void {
  assertSubscribable(subject);
  if (subject.split('.').some((token) => token === '*' || token === '>')) {
    throw new InvalidSubjectError(subject, 'a publish subject cannot hold "*" or ">"');
  }
}

/** Whether some subject matches both patterns (JetStream refuses overlapping work-queue consumers). */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return false;
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
  return true;
}
