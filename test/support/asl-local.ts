/**
 * Run a synthesized Step Functions definition locally: the template's DefinitionString resolved to ASL, checked
 * with asl-validator, and turned into what aws-local-stepfunctions 3.0.0 runs.
 *
 * aws-local-stepfunctions runs Map states with an ItemProcessor and binds Task states to local functions, but not
 * Distributed mode, ItemReader or ResultWriter. `toInlineMaps` is the one documented transform that makes such a
 * definition runnable, and nothing else changes:
 *   - each Map whose ProcessorConfig.Mode is DISTRIBUTED and that has an S3 ItemReader becomes two states: a Task
 *     `<Map>ReadItems` with the ItemReader's Parameters whose result goes to `$.__items`, bound by the caller to a
 *     function that does what the ItemReader does: for `s3:getObject` with InputType JSON (Bucket, Key), read that
 *     JSON array from S3 (moto); for `s3:listObjectsV2` (Bucket, Prefix), list the prefix on S3 (moto, every page)
 *     and return one item per object in the ItemReader's shape, `{ Etag, Key, LastModified, Size, StorageClass }`
 *     (LastModified in epoch seconds), in the listing's order, so `$$.Map.Item.Index` and `.Value` (an ItemSelector)
 *     see what they would on AWS; then the Map itself
 *     with `ItemsPath: $.__items`, Mode INLINE, and no ItemReader, ExecutionType, ResultWriter or
 *     ToleratedFailurePercentage. An inline Map fails on its first failed iteration, which is what
 *     `ToleratedFailurePercentage: 0` means, so the transform requires it to be 0 (or absent) and refuses otherwise;
 *   - a Map with a ResultWriter is refused unless its ResultPath is null (its results would otherwise be read);
 *   - whatever led into an inlined Map (a Next, a Choice rule's Next or Default, or StartAt) leads into its reader.
 * Task resources keep their names; `taskHandlers` maps state names to the real handlers.
 */
import { createRequire } from 'node:module';
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3.0.0 declares Node >= 22 and uses Promise.withResolvers (Node 22); the project supports
// Node >= 20, so on Node 20 the standard's one-line definition is installed for it.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

type Json = Record<string, unknown>;
type Template = { Resources: Record<string, { Type: string; Properties: Json }> };

/** A placeholder region and account for the ARNs of the resolved definition. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/**
 * The ASL of the template's one state machine, with `Fn::GetAtt [<id>, Arn]` of a function resolved to
 * `arn:aws:lambda:us-east-1:123456789012:function:<id>` and `Ref AWS::Partition` to `aws`; any other token is refused.
 */
export function definitionOf(template: Template): Json {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const body = machines[0].Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof body === 'string') return JSON.parse(body) as Json;
  const parts = body['Fn::Join'][1].map((part) => {
    if (typeof part === 'string') return part;
    const token = part as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
    if (token.Ref === 'AWS::Partition') return 'aws';
    if (token['Fn::GetAtt']?.[1] === 'Arn') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${token['Fn::GetAtt'][0]}`;
    throw new Error(`cannot resolve ${JSON.stringify(part)} in the definition`);
  });
  return JSON.parse(parts.join('')) as Json;
}

/** asl-validator's verdict on a definition (the real one, before any transform). */
export function validateAsl(definition: Json): { isValid: boolean; errors: unknown[] } {
  const require = createRequire(import.meta.url);
  const validator = require('asl-validator') as (d: Json, o?: Json) => { isValid: boolean; errors: unknown[] };
  // asl-validator annotates the states it checks: give it a copy.
  const { isValid, errors } = validator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return { isValid, errors };
}

/** The Task states' names, at every depth, with their Resource. */
export function taskResources(definition: Json): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (states: Record<string, Json>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found[name] = String(state.Resource);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States?: Record<string, Json> } | undefined;
      if (processor?.States) walk(processor.States);
    }
  };
  walk(definition.States as Record<string, Json>);
  return found;
}

/** The same definition with every Distributed Map made inline (see the module comment), and the reader states added. */
export function toInlineMaps(definition: Json): { definition: Json; readers: { name: string; kind: ItemReaderKind }[] } {
  const readers: { name: string; kind: ItemReaderKind }[] = [];
  const transform = (machine: { StartAt: string; States: Record<string, Json> }): { StartAt: string; States: Record<string, Json> } => {
    const out: Record<string, Json> = {};
    const inlined = new Set<string>();
    for (const [name, original] of Object.entries(machine.States)) {
      const state: Json = { ...original };
      out[name] = state;
      const processor = state.ItemProcessor as { ProcessorConfig?: Json; States: Record<string, Json>; StartAt: string } | undefined;
      if (state.Type !== 'Map' || processor === undefined) continue;
      state.ItemProcessor = { ...processor, ...transform(processor) };
      if (processor.ProcessorConfig?.Mode !== 'DISTRIBUTED') continue;
      const reader = state.ItemReader as { Resource: string; ReaderConfig?: Json; Parameters: Json } | undefined;
      const kind: ItemReaderKind | undefined =
        reader === undefined ? undefined : /:states:::s3:getObject$/.test(reader.Resource) && reader.ReaderConfig?.InputType === 'JSON' ? 'getObject' : /:states:::s3:listObjectsV2$/.test(reader.Resource) && reader.ReaderConfig === undefined ? 'listObjectsV2' : undefined;
      if (reader === undefined || kind === undefined) {
        throw new Error(`${name}: only a Distributed Map with an S3 JSON ItemReader or an S3 listObjectsV2 ItemReader can be made inline`);
      }
      if ((state.ToleratedFailurePercentage ?? 0) !== 0 || state.ToleratedFailureCount !== undefined) {
        throw new Error(`${name}: an inline Map tolerates no failure; ToleratedFailurePercentage must be 0`);
      }
      if (state.ResultWriter !== undefined && state.ResultPath !== null) throw new Error(`${name}: its results are written to S3 and read back; not supported`);
      const readName = `${name}ReadItems`;
      readers.push({ name: readName, kind });
      inlined.add(name);
      out[readName] = { Type: 'Task', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${readName}`, Parameters: reader.Parameters, ResultPath: '$.__items', Next: name };
      for (const key of ['ItemReader', 'ResultWriter', 'ToleratedFailurePercentage', 'ToleratedFailureCount', 'Label']) delete state[key];
      state.ItemsPath = '$.__items';
      state.ItemProcessor = { ...(state.ItemProcessor as Json), ProcessorConfig: { Mode: 'INLINE' } };
    }
    // Whatever led into an inlined map (a Next, or StartAt) now leads into its reader first.
    const lead = (next: unknown): unknown => (typeof next === 'string' && inlined.has(next) ? `${next}ReadItems` : next);
    for (const [name, state] of Object.entries(out)) {
      if (typeof state.Next === 'string' && name !== `${state.Next}ReadItems`) state.Next = lead(state.Next);
      if (state.Type === 'Choice') {
        state.Choices = (state.Choices as Json[]).map((rule) => ({ ...rule, Next: lead(rule.Next) }));
        if (state.Default !== undefined) state.Default = lead(state.Default);
      }
    }
    return { StartAt: inlined.has(machine.StartAt) ? `${machine.StartAt}ReadItems` : machine.StartAt, States: out };
  };
  const top = transform(definition as { StartAt: string; States: Record<string, Json> });
  return { definition: { ...definition, ...top }, readers };
}

/** The ItemReaders the transform handles. */
export type ItemReaderKind = 'getObject' | 'listObjectsV2';

/** One item of a listObjectsV2 ItemReader, as a Distributed Map child sees it (`$$.Map.Item.Value`). */
export interface ListedObjectItem {
  readonly Etag: string;
  readonly Key: string;
  /** Epoch seconds. */
  readonly LastModified: number;
  readonly Size: number;
  readonly StorageClass: string;
}

/** What a local execution needs: a handler per Task state (by name), a reader of S3 JSON arrays and a lister of prefixes. */
export interface LocalRunOptions {
  readonly taskHandlers: Record<string, (input: unknown) => Promise<unknown>>;
  /** Reads the ItemReader's object (its Bucket and Key) and returns the parsed JSON array. */
  readonly readItems: (location: { Bucket: string; Key: string }) => Promise<unknown[]>;
  /** Lists the ItemReader's prefix (its Bucket and Prefix): every object, in the listing's order. @default none (refused) */
  readonly listItems?: (location: { Bucket: string; Prefix?: string }) => Promise<ListedObjectItem[]>;
}

/**
 * Run the transformed definition once; resolves with the output, rejects with aws-local-stepfunctions'
 * ExecutionError (its `message` carries the failing state's error and cause).
 */
export async function runLocally(definition: Json, input: unknown, options: LocalRunOptions): Promise<unknown> {
  const { definition: inline, readers } = toInlineMaps(definition);
  type LocalHandler = (input: unknown) => Promise<never>;
  const handlers: Record<string, LocalHandler> = {};
  for (const [name, fn] of Object.entries(options.taskHandlers)) handlers[name] = fn as LocalHandler;
  for (const { name, kind } of readers) {
    handlers[name] = (async (location: { Bucket: string; Key: string; Prefix?: string }) => {
      if (kind === 'getObject') return options.readItems(location);
      if (options.listItems === undefined) throw new Error(`${name}: a listObjectsV2 ItemReader needs listItems`);
      return options.listItems(location);
    }) as LocalHandler;
  }
  const machine = new StateMachine(inline as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run(input as never, { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((k) => [k, 0])) } });
  return execution.result;
}
