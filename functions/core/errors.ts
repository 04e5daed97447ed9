/** One base error for everything driftgate reports to a user; subclasses carry typed context. */
export class DriftgateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A batch or reference file that cannot be read: names the file and what was expected. */
export class InvalidInputError extends DriftgateError {
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

/** A configuration file, stored document or environment variable that failed its schema. */
export class ConfigError extends DriftgateError {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
  }
}

/** A model has no reference signature yet. */
export class ReferenceNotFoundError extends DriftgateError {
  constructor(readonly modelId: string) {
    super(`model ${modelId} has no reference signature`);
  }
}

/** An outside system (S3, SNS, ...) failed; the SDK error is the cause. */
export class AdapterError extends DriftgateError {
  constructor(
    readonly system: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`${system} ${operation} failed: ${errorMessage(options?.cause)}`, options);
  }
}

function errorMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** A stored document that a step needs does not exist (a proposal named by a link, a model's state). */
export class NotFoundError extends DriftgateError {
  constructor(readonly key: string, what: string) {
    super(`${key}: ${what} does not exist`);
  }
}

/** A conditional write kept losing to other writers: the store is too contended (retryable). */
export class ConflictError extends DriftgateError {
  constructor(readonly key: string, readonly attempts: number) {
    super(`${key}: changed under ${attempts} attempts (concurrent writers)`);
  }
}

/** The object an event named was replaced or deleted before it was read: that version is gone, not bad. */
export class ObjectChangedError extends DriftgateError {
  constructor(readonly key: string, reason: string, options?: { cause?: unknown }) {
    super(`${key}: ${reason}`, options);
  }
}
