export { redemptionWorkflow } from './redemption';
export { redemptionOrdersWorkflow } from './redemption-orders';
export { webhookDeliveriesWorkflow } from './webhook-deliveries';
