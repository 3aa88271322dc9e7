export { redemptionWorkflow } from './redemption';
