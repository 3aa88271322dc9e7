/** Does nothing, so that a benchmark measures only Temporal's cost of scheduling and completing an activity. */
export async function noop(): Promise<void> {}
