/** @weir/chatops: Weir as a Slack app (aliases, threaded runs, approvals, the gate's reasons). */
export {};
