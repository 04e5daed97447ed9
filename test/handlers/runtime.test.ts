import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { ENV } from '../../functions/handlers/env.js';
import { readFunctionEnv } from '../../functions/handlers/runtime.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:driftgate-notices';

describe('Function: readFunctionEnv', () => {
  it('needs only the bucket for the ingest function', () => {
    // Act
    const env = readFunctionEnv('ingest', { [ENV.bucket]: 'my-data-bucket', [ENV.noticesTopicArn]: TOPIC });

    // Assess
    expect(env).toEqual({ bucket: 'my-data-bucket' });
  });

  it('needs only the bucket for the check function: it holds no signing key and no topic', () => {
    // Act
    const env = readFunctionEnv('check', { [ENV.bucket]: 'my-data-bucket', [ENV.noticesTopicArn]: TOPIC, [ENV.secretId]: 'x' });

    // Assess
    expect(env).toEqual({ bucket: 'my-data-bucket' });
  });

  it('reads the gate function environment and trims the function URL', () => {
    // Act
    const env = readFunctionEnv('gate', {
      [ENV.bucket]: 'my-data-bucket',
      [ENV.noticesTopicArn]: TOPIC,
      [ENV.retrainTopicArn]: TOPIC,
      [ENV.secretId]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
      [ENV.decideUrl]: 'https://abc.lambda-url.eu-west-1.on.aws/',
    });

    // Assess
    expect(env.decideUrl).toBe('https://abc.lambda-url.eu-west-1.on.aws');
    expect(env.noticesTopicArn).toBe(TOPIC);
  });

  it('names every missing or bad variable at once', () => {
    // Act
    const act = (): unknown => readFunctionEnv('gate', { [ENV.bucket]: 'Bad_Bucket', [ENV.decideUrl]: 'ftp://x' });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/environment of the gate function[\s\S]*BUCKET[\s\S]*NOTICES_TOPIC_ARN[\s\S]*RETRAIN_TOPIC_ARN[\s\S]*SECRET_ID[\s\S]*DECIDE_URL/);
  });
});
