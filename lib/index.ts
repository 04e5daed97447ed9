/**
 * The driftgate construct library: `import { Driftgate } from 'driftgate'` in a CDK app.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { Driftgate, addNagChecks } from 'driftgate';
 *
 * const app = new App();
 * const stack = new Stack(app, 'Ml');
 * new Driftgate(stack, 'Driftgate', { notifyEmail: 'ml-owners@example.com' });
 * addNagChecks(app);
 */
export { Driftgate, type DriftgateProps, validateDriftgateProps, KEY_PREFIX, RETRAIN_MESSAGE_ATTRIBUTES, RETRAIN_FILTER_POLICY_EXAMPLE } from './driftgate.js';
export { DriftgateStack, type DriftgateStackProps, driftgatePropsFromContext } from './driftgate-stack.js';
export { DriftgateAdoption, type DriftgateAdoptionProps } from './adoption.js';
export { addNagChecks, nagPacks } from './nag.js';
export { SOURCE_MAPS_CONTEXT } from './bundling.js';
