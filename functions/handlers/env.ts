/** The environment variable names and service names, from the constants module the CDK stack also reads. */
export { DECISION_ERRORS_METRIC, ENV, GATE_SCHEDULE_SOURCE, SCHEDULE_SOURCE, SERVICE_NAME, type EnvName } from '../core/constants.js';
