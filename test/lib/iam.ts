import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

/** A JSON object of a synthesized template. */
export type Json = Record<string, unknown>;

/** The logical id CloudFormation gives a construct (never hard-coded: computed from the construct). */
export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every IAM statement attached to a role (the inline policies that list it). */
export function statementsOf(template: Template, roleLogicalId: string): Json[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) => ((policy as Json).Properties as { PolicyDocument: { Statement: Json[] } }).PolicyDocument.Statement,
  );
}

/** Every Allow statement of every inline policy, with the logical ids of the roles it is attached to. */
export function allowStatements(template: Template): { roles: string[]; statement: Json }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const props = (policy as Json).Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Json[] } };
    return props.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow').map((statement) => ({
      roles: props.Roles.map((r) => r.Ref),
      statement,
    }));
  });
}

/** The actions of statements (a single action or a list). */
export function actionsOf(statements: Json[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? (s.Action as string[]) : [s.Action as string]));
}

/** The resources of a statement (a single resource or a list). */
export function resourcesOf(statement: Json): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The key patterns (after the bucket ARN) an S3 statement covers, e.g. `/signatures/*`. */
export function s3Patterns(statement: Json): string[] {
  return resourcesOf(statement).flatMap((r) => {
    const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    return join ? [String(join[1][1])] : [];
  });
}

/** The object key patterns the statements allowing `action` cover, sorted. */
export function patternsFor(statements: Json[], action: string): string[] {
  return statements.filter((s) => actionsOf([s]).includes(action)).flatMap(s3Patterns).sort();
}

/** Whether a statement allows `action` (exactly, as written). */
export function allows(statement: Json, action: string): boolean {
  return actionsOf([statement]).includes(action);
}
