/**
 * @weir/worker: runs the actions the workflow engine hands out (DESIGN §2, §8). A `Worker` consumes
 * `weir.task.<runner>` and answers `TaskResult`s; runners (`noop`, `sleep`, `shell`, `ssh`, `http`,
 * `js`) do the work; secrets are masked in everything that leaves the worker.
 */
export { Worker } from './worker.js';
export { compileWorkerOptions } from './worker-options.js';
export type { WorkerOptions, CompiledWorkerOptions } from './worker-options.js';
export { TaskExecutor } from './task-executor.js';
export type { TaskExecutorOptions, ExecuteOptions } from './task-executor.js';
export { parseTaskMessage } from './task-message.js';
export { staticPackResolver } from './pack-resolver.js';
export type { PackResolver, ResolvedPack } from './pack-resolver.js';
export { actionScope } from './runner.js';
export type { Runner, RunnerContext, RunnerOutcome, OutcomeError, OutputStream } from './runner.js';
export { abortedOutcome, failedOutcome } from './outcome.js';
export { SecretMasker, MASK } from './secret-masker.js';
export { maskingLogger } from './masking-logger.js';
export { OutputCapture } from './output-capture.js';
export type { OutputCaptureLimits, CapturedOutput } from './output-capture.js';
export { InputReader } from './input-reader.js';
export {
  ActionFailedError,
  RunnerInputError,
  TaskTimeoutError,
  TaskCanceledError,
  TaskRejectedError,
  HostKeyError,
} from './errors.js';
export type { WorkerErrorCode } from './errors.js';
export { builtinRunners, BUILTIN_RUNNER_KINDS } from './runners/builtin-runners.js';
export type { BuiltinRunnerKind, BuiltinRunnerOptions } from './runners/builtin-runners.js';
export { NoopRunner } from './runners/noop-runner.js';
export { SleepRunner } from './runners/sleep-runner.js';
export { ShellRunner } from './runners/shell-runner.js';
export { compileShellRunnerOptions } from './runners/shell-runner-options.js';
export type { ShellRunnerOptions, CompiledShellRunnerOptions } from './runners/shell-runner-options.js';
export { SshRunner } from './runners/ssh-runner.js';
export { compileSshRunnerOptions } from './runners/ssh-runner-options.js';
export type { SshRunnerOptions, CompiledSshRunnerOptions } from './runners/ssh-runner-options.js';
export { KnownHosts, fingerprintOf } from './runners/known-hosts.js';
export type { HostKeyVerdict } from './runners/known-hosts.js';
export { HttpRunner } from './runners/http-runner.js';
export type { HttpRunnerOptions } from './runners/http-runner.js';
export { JsRunner } from './runners/js-runner.js';
export type { JsActionContext, JsActionFunction } from './runners/js-runner.js';
