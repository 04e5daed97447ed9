import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPE, ENV, EVENT_SOURCE, KEY_PREFIX, SERVICE_NAME } from '../../functions/core/constants.js';
import { nagPacks } from '../../lib/nag.js';
import { validateScaleOutOptions } from '../../lib/scale-out.js';
import { definitionOf, validateAsl } from '../support/asl-local.js';
import { logicalId, patternsFor, statementsOf, type Json } from './iam.js';
import { synthDriftgate, type Synthesized } from './synth.js';

describe('Function: buildScaleOut (template)', () => {
  let synth: Synthesized;
  let definition: Json;

  beforeAll(() => {
    synth = synthDriftgate({ props: { scaleOut: { maxConcurrency: 250, retryAttempts: 4 } } });
    definition = definitionOf(synth.template.toJSON() as never);
  }, 120_000);

  it('is off unless asked for: the default stack has no state machine', () => {
    // Act
    const plain = synthDriftgate();

    // Assess
    plain.template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    expect(plain.stack.driftgate.scaleOut).toBeUndefined();
  });

  it('defines Plan -> Sign (Distributed Map over the manifest) or SignListed (over a listed folder) -> Merge -> Finish, valid ASL', () => {
    // Prepare
    const states = definition.States as Record<string, Json>;

    // Assess
    expect(validateAsl(definition)).toEqual({ isValid: true, errors: [] });
    expect(definition.StartAt).toBe('Plan');
    expect(states.Plan.Next).toBe('ListedOrManifest');
    expect(states.ListedOrManifest).toEqual({ Type: 'Choice', Choices: [{ Variable: '$.prefix', IsPresent: true, Next: 'SignListed' }], Default: 'Sign' });
    expect(states.SignListed).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 250,
      ToleratedFailurePercentage: 0,
      ResultPath: null,
      ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' } },
      // One whole file per child, checked against the plan's listing by its index, key and ETag.
      ItemSelector: { 'jobId.$': '$.jobId', 'modelId.$': '$.modelId', kind: 'adopt', 'index.$': '$$.Map.Item.Index', 'key.$': '$$.Map.Item.Value.Key', 'etag.$': '$$.Map.Item.Value.Etag', listed: true },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, States: { SignListedTask: { Type: 'Task', OutputPath: null } } },
      Next: 'Merge',
    });
    expect(states.Sign).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 250,
      ToleratedFailurePercentage: 0,
      ResultPath: null,
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.manifestKey' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, States: { SignRangeTask: { Type: 'Task', OutputPath: null } } },
      Next: 'Merge',
    });
    expect(states.Merge).toMatchObject({ Type: 'Map', ItemsPath: '$.levels', MaxConcurrency: 1, Next: 'Finish' });
    expect(states.Finish).toMatchObject({ Type: 'Task', End: true, Parameters: { 'jobId.$': '$.jobId', 'finalLevel.$': '$.finalLevel' } });
    const sign = (states.Sign.ItemProcessor as { States: Record<string, Json> }).States.SignRangeTask;
    expect(sign.Retry).toEqual([{ ErrorEquals: expect.arrayContaining(['AdapterError', 'Lambda.TooManyRequestsException']), IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2 }]);
    expect(JSON.stringify(sign.Retry)).not.toContain('InvalidInputError');
  });

  it('gives each step its own role: only Finish writes references, state, decisions and signatures; no step publishes or reads the secret', () => {
    // Prepare
    const { stack, template } = synth;
    const so = stack.driftgate.scaleOut!;
    const role = (fn: { role?: unknown }) => statementsOf(template, logicalId(stack, fn.role as never));

    // Act
    const puts = Object.fromEntries(
      (['planFunction', 'signRangeFunction', 'mergeFunction', 'finishFunction'] as const).map((name) => [name, patternsFor(role(so[name]), 's3:PutObject')]),
    );
    const reads = patternsFor(role(so.signRangeFunction), 's3:GetObject');

    // Assess
    expect(puts).toEqual({
      planFunction: ['/scaleout/*'],
      signRangeFunction: ['/scaleout/*'],
      mergeFunction: ['/scaleout/*'],
      finishFunction: ['/decisions/*', '/proposals/*', '/references/*', '/scaleout/*', '/signatures/*', '/state/*'],
    });
    expect(reads).toEqual(['/batches/*', '/config/*', '/references/*', '/scaleout/*', '/state/*', '/training/*']);
    for (const name of ['planFunction', 'signRangeFunction', 'mergeFunction', 'finishFunction'] as const) {
      const actions = JSON.stringify(role(so[name]).map((s) => s.Action));
      expect(actions).not.toMatch(/sns:Publish|secretsmanager:GetSecretValue|states:StartExecution/);
      if (name !== 'finishFunction') expect(actions, name).not.toContain('events:');
    }
    // Finish installs references as adopt does: it may put ReferenceAdopted (and nothing else) on the bus.
    const eventPuts = role(so.finishFunction).filter((s) => JSON.stringify(s.Action).includes('events:'));
    expect(eventPuts).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': [DETAIL_TYPE.ReferenceAdopted] } } }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAME['scale-finish'], [ENV.eventBusName]: 'default' }) },
    });
  });

  it('lets the state machine invoke exactly its four functions and read only scaleout/; adopt and ingest may start it', () => {
    // Prepare
    const { stack, template } = synth;
    const so = stack.driftgate.scaleOut!;
    const machineRole = statementsOf(template, logicalId(stack, so.stateMachine.role));
    const arn = (fn: unknown) => ({ 'Fn::GetAtt': [logicalId(stack, fn as never), 'Arn'] });

    // Assess
    const invoke = machineRole.filter((s) => JSON.stringify(s.Action).includes('lambda:'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0].Action).toBe('lambda:InvokeFunction');
    expect(new Set((invoke[0].Resource as unknown[]).map((r) => JSON.stringify(r)))).toEqual(
      new Set([so.planFunction, so.signRangeFunction, so.mergeFunction, so.finishFunction].map((fn) => JSON.stringify(arn(fn)))),
    );
    expect(patternsFor(machineRole, 's3:GetObject')).toEqual([`/${KEY_PREFIX.scaleout}*`]);
    // The listing reader lists training/ only (and the manifest reader scaleout/): never the whole bucket, never `*`.
    const lists = machineRole.filter((s) => JSON.stringify(s.Action).includes('s3:List'));
    expect(lists).toEqual([
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [logicalId(stack, stack.driftgate.bucket), 'Arn'] }, Condition: { StringLike: { 's3:prefix': [`${KEY_PREFIX.scaleout}*`, `${KEY_PREFIX.training}*`] } } },
    ]);
    expect(JSON.stringify(machineRole.map((s) => s.Action))).not.toContain('xray:');
    for (const starter of [stack.driftgate.adoption.function, stack.driftgate.ingestFunction]) {
      const statements = statementsOf(template, logicalId(stack, starter.role as never));
      expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: logicalId(stack, so.stateMachine) } })]));
      // It describes the job's execution (a failed one runs again under the next name): this machine's executions only.
      const describes = statements.filter((s) => JSON.stringify(s.Action).includes('states:Describe'));
      expect(describes).toHaveLength(1);
      expect(describes[0]).toMatchObject({
        Action: 'states:DescribeExecution',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:', { 'Fn::GetAtt': [logicalId(stack, so.stateMachine), 'Name'] }, ':*']] },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Environment: { Variables: Match.objectLike({ [ENV.scaleOutStateMachineArn]: { Ref: logicalId(stack, so.stateMachine) }, [ENV.scaleOutThresholdBytes]: Match.stringLikeRegexp('^\\d+$') }) },
      });
    }
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      // X-Ray off, as for the functions (acknowledgeNoTracing): no xray:* grant either.
      TracingConfiguration: { Enabled: false },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it("matches the README's function/IAM table rows for the four steps and the machine role", () => {
    // Prepare
    const { stack, template } = synth;
    const so = stack.driftgate.scaleOut!;
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const row = (name: string): string[] => {
      const line = readme.split('\n').find((l) => l.startsWith(`| ${name} |`));
      expect(line, name).toBeDefined();
      return line!.split('|').slice(2, -1).map((c) => c.trim());
    };
    const words = (cell: string): string[] => (cell === 'none' ? [] : cell.replace(/\s*\(.*\)$/, '').split(/\s+/).map((w) => `/${w.replace(/\/$/, '')}/*`).sort());
    const listed = (statements: Json[]): string[] =>
      statements.filter((s) => s.Action === 's3:ListBucket').flatMap((s) => (s.Condition as { StringLike: { 's3:prefix': string[] } }).StringLike['s3:prefix'].map((p) => `/${p}`)).sort();
    const steps = { 'scale-out plan': so.planFunction, 'scale-out sign-range': so.signRangeFunction, 'scale-out merge': so.mergeFunction, 'scale-out finish': so.finishFunction };

    for (const [name, fn] of Object.entries(steps)) {
      // Act
      const statements = statementsOf(template, logicalId(stack, fn.role as never));
      const [reads, writes, lists] = row(name);
      const got = patternsFor(statements, 's3:GetObject');

      // Assess
      expect(got, name).toEqual(words(reads));
      expect(patternsFor(statements, 's3:PutObject'), name).toEqual(words(writes));
      // The lists column names what it lists beyond what it reads.
      expect(listed(statements).filter((p) => !got.includes(p)), name).toEqual(words(lists));
    }
    const machine = statementsOf(template, logicalId(stack, so.stateMachine.role));
    const [reads, writes, lists] = row('scale-out state machine (role)');
    const got = patternsFor(machine, 's3:GetObject');
    expect(got).toEqual(words(reads));
    expect(patternsFor(machine, 's3:PutObject')).toEqual(words(writes));
    expect(listed(machine).filter((p) => !got.includes(p))).toEqual(words(lists));
  });

  it('synthesizes with zero unacknowledged cdk-nag findings', () => {
    // Act
    const violations = nagPacks(synth.app).flatMap((pack) => pack.validateScope(synth.app).violations);

    // Assess
    expect(violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('refuses bad options, naming every problem', () => {
    // Act
    const problems = validateScaleOutOptions({ maxConcurrency: 0, mergeFanIn: 1, signTimeout: Duration.minutes(20), ingestThresholdBytes: 1.5 });

    // Assess
    expect(problems).toEqual([
      'maxConcurrency must be an integer from 1 to 10000, got 0',
      'mergeFanIn must be an integer from 2 to 1000, got 1',
      'ingestThresholdBytes must be an integer from 1 to 9007199254740991, got 1.5',
      'signTimeout must be from 1 second to 15 minutes, got 20 minutes',
    ]);
  });
});
