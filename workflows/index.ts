export { redemptionWorkflow } from './redemption';
export { redemptionOrdersWorkflow } from './redemption-orders';
export { ledgerReconciliationWorkflow } from './reconciliation';
export { webhookLaneWorkflow } from './webhook-lane';
export { deliverectOrderWorkflow } from './deliverect-order';
export { pointsExpiryWorkflow } from './points-expiry';
