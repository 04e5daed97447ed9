import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The cdk-nag packs driftgate is held to. */
export function nagPacks(scope: IConstruct): NagPack[] {
  return [new AwsSolutionsChecks(scope), new ServerlessChecks(scope)];
}

/** Registers the cdk-nag packs on an app: synthesis then fails on any unacknowledged finding. */
export function addNagChecks(app: IConstruct): NagPack[] {
  const packs = nagPacks(app);
  Validations.of(app).addPlugins(...packs);
  return packs;
}
