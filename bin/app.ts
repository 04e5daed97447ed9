#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addNagChecks } from '../lib/nag.js';
import { DriftgateStack, driftgatePropsFromContext } from '../lib/driftgate-stack.js';

const app = new App();
new DriftgateStack(app, String(app.node.tryGetContext('stackName') ?? 'Driftgate'), {
  description: 'driftgate: data drift watch for ML models, with human-approved retraining',
  driftgate: driftgatePropsFromContext(app),
});
addNagChecks(app);
app.synth();
