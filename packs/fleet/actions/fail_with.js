// The fleet.fail_with action: throws, so the task (and a run with no transition for it) fails with
// this code and message. See fail_with.yaml.
export function run(input) {
  const error = new Error(input.message);
  error.code = input.code;
  throw error;
}
