import { uuidv7 } from 'uuidv7';

/** A string id that cannot be passed where an id of another kind is wanted. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

export type TriggerId = Brand<string, 'TriggerId'>;
export type RequestId = Brand<string, 'RequestId'>;
export type ExecutionId = Brand<string, 'ExecutionId'>;
export type TaskAttemptId = Brand<string, 'TaskAttemptId'>;
export type MessageId = Brand<string, 'MessageId'>;
export type TraceId = Brand<string, 'TraceId'>;

/** A new time-ordered id (UUIDv7): sorts by creation time, so indexes stay append-mostly. */
export function newId<B extends string>(): Brand<string, B> {
  return uuidv7() as Brand<string, B>;
}
