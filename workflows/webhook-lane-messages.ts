/** The webhook lane's signal, defined once for the workflow and those who write its events. */
import { defineSignal } from '@temporalio/workflow';

/** Something was written to the outbox for the lane's endpoint (an event, or the endpoint's deletion): look again. */
export const webhookLaneNudge = defineSignal('webhookLaneNudge');
