import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { AdoptOutcomeFlags } from './adopt-outcome.js';

/**
 * The CLI's commands, their flags and their help text, parsed with `node:util` parseArgs (no dependency).
 * Parsing is pure: it returns a typed command or throws a UsageError; nothing here reads files.
 */

/** Bad usage (unknown command or flag, missing or malformed value): exit code 2 with the usage on stderr. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to print, when known. */
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const COMMAND_NAMES = ['baseline', 'check', 'report', 'validate-config', 'upload-config', 'adopt', 'init', 'ingest', 'run', 'serve', 'watch', 'demo', 'help'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/**
 * Worker threads that sign by default (`--workers`): none, the command's own thread. Measured against one
 * worker (bench/README.md, "Local workers"): a worker adds a second isolate's start (~0.3 s CPU) and 25-40 MB
 * for no parallelism, and in this thread parquet-wasm-host.ts already turns a wasm panic into an error that
 * names the column, where a worker's death can name only the row groups.
 */
export const DEFAULT_WORKERS = 0;

const WORKERS_HELP = "--workers N           sign on N worker threads, 1 to this machine's CPUs (default 0: this thread)";

interface CommandHelp {
  readonly synopsis: string;
  readonly summary: string;
  readonly details: readonly string[];
}

const HELP: Readonly<Record<CommandName, CommandHelp>> = {
  baseline: {
    synopsis: 'driftgate baseline --out REF.json [--categorical COL,...] [--bins N] [--workers N] FILE...',
    summary: 'Compute a reference signature from Parquet / Arrow IPC files.',
    details: [
      '--out REF.json        where to write the signature (required)',
      '--categorical COL,..  treat these columns as categorical (e.g. integer codes)',
      '--bins N              histogram bins per numeric column (default: the signature default)',
      WORKERS_HELP,
    ],
  },
  check: {
    synopsis:
      'driftgate check --reference REF [--config MODEL.json] [--json] [--fail-on-drift] [--html OUT.html] [--categorical COL,...] [--bins N] [--workers N] FILE...',
    summary: 'Compare files (merged) with a reference and print the drift of every feature.',
    details: [
      '--reference REF       a signature JSON (driftgate baseline) or a Parquet/Arrow file to baseline on the fly (required)',
      '--config MODEL.json   a model config: feature selection, tests, thresholds, dataset rule, column kinds',
      '--json                print exactly one JSON document (the drift result) on stdout',
      '--fail-on-drift       exit 1 when the action is drift or data-quality',
      '--html OUT.html       also write the HTML report',
      '--categorical COL,..  treat these columns as categorical',
      '--bins N              histogram bins when REF is a data file',
      WORKERS_HELP,
    ],
  },
  report: {
    synopsis: 'driftgate report --in CHECK.json --out REPORT.html',
    summary: 'Render a stored report JSON (reports/<model>/<id>.json) or a `check --json` result as HTML.',
    details: ['--in CHECK.json       the stored JSON (required)', '--out REPORT.html     the page to write (required)'],
  },
  'validate-config': {
    synopsis: 'driftgate validate-config FILE...',
    summary: 'Validate model config files; print every bad field path.',
    details: [],
  },
  'upload-config': {
    synopsis: 'driftgate upload-config --bucket BUCKET [--endpoint URL] [--region REGION] FILE',
    summary: 'Validate a model config and write it to s3://BUCKET/config/<modelId>.json (default AWS credentials).',
    details: [
      '--bucket BUCKET       the driftgate bucket (required)',
      '--endpoint URL        an S3-compatible endpoint (moto, LocalStack); default: AWS',
      '--region REGION       AWS region; default: the SDK resolution (AWS_REGION, profile)',
    ],
  },
  adopt: {
    synopsis:
      'driftgate adopt --bucket BUCKET [--endpoint URL] [--region REGION] --model MODEL --version VERSION [--proposal ID] [--force] [outcome flags] KEY...',
    summary:
      'Report a new model version: check its training data (keys under training/) and upload its adoption manifest to s3://BUCKET/adoptions/MODEL/VERSION.json.',
    details: [
      '--bucket BUCKET       the driftgate bucket (required)',
      '--model MODEL         the model id (its config must be uploaded; required)',
      '--version VERSION     the new model version, e.g. v2 (required)',
      '--proposal ID         the retrain proposal this version answers (recorded)',
      '--force               upload the manifest again even if it exists (re-adopts this version: a rollback)',
      '--validation-score X  the retrain outcome: the new version\'s validation score (in the metric\'s unit)',
      '--previous-score X    the deployed version\'s score on the same validation set',
      '--metric NAME         the metric both scores are in, e.g. auc (with --metric-direction)',
      '--metric-direction D  higher-is-better or lower-is-better',
      '--learning-curve FILE score by training rows: .json [{"rows":…,"score":…}] or .csv of rows,score lines',
      '--status S            adopted (default), failed or rolled-back (installs nothing; logged as a lesson)',
      '--endpoint URL        an S3-compatible endpoint (moto, LocalStack); default: AWS',
      '--region REGION       AWS region; default: the SDK resolution (AWS_REGION, profile)',
      'KEY...                training data object keys in the bucket, under training/',
    ],
  },
  init: {
    synopsis: 'driftgate init --store DIR --model ID [--config FILE] [--version V] [--workers N] REFERENCE_FILE...',
    summary: "Set up a model on a local folder store: its config and its first reference (the training data's signature).",
    details: [
      '--store DIR           the local store folder (created if its parent exists)',
      '--model ID            the model id (required; must match the config file when one is given)',
      '--config FILE         the model config (default: batches under batches/ID/, every default)',
      '--version V           the reference version (default v1)',
      WORKERS_HELP,
      'REFERENCE_FILE...     Parquet / Arrow IPC training data, copied into the store under training/',
    ],
  },
  ingest: {
    synopsis: 'driftgate ingest --store DIR [--model ID] [--workers N] FILE...',
    summary: 'Store one signature per batch file; a file with the same content as one ingested before is stored once.',
    details: [
      '--store DIR           the local store folder (required)',
      '--model ID            the model the files belong to (default: the store\'s only model)',
      WORKERS_HELP,
      'FILE...               Parquet / Arrow IPC batches; each is copied to batches/ID/<sha256 of its content>',
    ],
  },
  run: {
    synopsis: 'driftgate run --store DIR [--now ISO] [--url BASE]',
    summary: 'Run the checks that are due, as the schedule does: reports, cadence, proposals, notices, expiries.',
    details: [
      '--store DIR           the local store folder (required)',
      '--now ISO             the time of the run (default: now), e.g. 2026-03-01T08:00:00Z',
      '--url BASE            where the decision links in notices point (default http://127.0.0.1:8787, driftgate serve)',
    ],
  },
  serve: {
    synopsis: 'driftgate serve --store DIR [--host 127.0.0.1] [--port 8787] [--allow-remote]',
    summary: 'Serve the decision links, the reports and an index of the models (the same handler as the function URL).',
    details: [
      '--store DIR           the local store folder (required)',
      '--host HOST           address to bind (default 127.0.0.1; another address needs --allow-remote)',
      '--port N              port (default 8787; 0 picks a free one)',
      '--allow-remote        allow a non-loopback --host (anyone who can reach it can use a notice link they hold)',
    ],
  },
  watch: {
    synopsis:
      'driftgate watch --store DIR --batches PATH [--model ID] [--every 1m] [--settle 2s] [--url BASE] [--host 127.0.0.1] [--port 8787] [--allow-remote] [--no-serve]',
    summary: 'The whole product in one process: ingest files as they land in PATH, run due checks on a timer, serve decisions.',
    details: [
      '--store DIR           the local store folder (required)',
      '--batches PATH        the folder to watch: files in it go to --model (or the only model), files in PATH/<model id>/ to that model',
      '--every DURATION      how often due checks run (default 1m)',
      '--settle DURATION     a file is complete once its size and mtime are unchanged this long (default 2s);',
      '                      names starting with "." or "_" or ending in .tmp/.part are never read (write, then rename)',
      '--url BASE            where notice links point (default: this server)',
      '--host, --port, --allow-remote  as for serve;  --no-serve  no server in this process',
    ],
  },
  demo: {
    synopsis: 'driftgate demo [--dir DIR] [--json] [--days N] [--seed N] [--serve [--port 8787]]',
    summary: 'Simulate weeks of batches for two models on a local folder: checks, cadence, proposal, approval, retrain.',
    details: [
      '--dir DIR             the local folder (default: a fresh temp folder, printed at the end)',
      '--json                one JSON object per line',
      '--days N              simulated days (default: the demo default)',
      '--seed N              random seed of the generated data',
      '--serve               then keep the store and serve it: open the live notice\'s links in a browser',
      '--port N              the port for --serve (default 8787)',
    ],
  },
  help: { synopsis: 'driftgate help [COMMAND]', summary: 'Show help for a command.', details: [] },
};

/** The general usage text (`driftgate --help`). */
export function usageText(): string {
  const lines = ['Usage: driftgate <command> [options]', '', 'Commands:'];
  for (const name of COMMAND_NAMES) lines.push(`  ${name.padEnd(16)} ${HELP[name].summary}`);
  lines.push(
    '',
    'Exit codes: 0 success (whatever the action), 1 drift or data-quality with --fail-on-drift, 2 bad usage or bad input, 3 internal error.',
    'Set DRIFTGATE_DEBUG=1 to print stack traces.',
    "Run 'driftgate help COMMAND' for a command's options; 'driftgate --version' prints the version.",
  );
  return lines.join('\n');
}

/** The help text of one command. */
export function commandHelp(name: CommandName): string {
  const help = HELP[name];
  return [`Usage: ${help.synopsis}`, '', help.summary, ...(help.details.length ? ['', ...help.details.map((d) => `  ${d}`)] : [])].join('\n');
}

export interface BaselineArgs {
  readonly command: 'baseline';
  readonly out: string;
  readonly categorical: readonly string[];
  readonly bins?: number;
  /** Worker threads signing the files (0: the main thread). */
  readonly workers: number;
  readonly files: readonly string[];
}

export interface CheckArgs {
  readonly command: 'check';
  readonly reference: string;
  readonly config?: string;
  readonly json: boolean;
  readonly failOnDrift: boolean;
  readonly html?: string;
  readonly categorical: readonly string[];
  readonly bins?: number;
  /** Worker threads signing the files and a data-file REF (0: the main thread). */
  readonly workers: number;
  readonly files: readonly string[];
}

export interface ReportArgs {
  readonly command: 'report';
  readonly in: string;
  readonly out: string;
}

export interface ValidateConfigArgs {
  readonly command: 'validate-config';
  readonly files: readonly string[];
}

export interface UploadConfigArgs {
  readonly command: 'upload-config';
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly file: string;
}

export interface AdoptArgs {
  readonly command: 'adopt';
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly model: string;
  readonly version: string;
  readonly proposal?: string;
  readonly force: boolean;
  /** The retrain-outcome flags as typed (validated by cli/adopt-outcome.ts). */
  readonly outcome?: AdoptOutcomeFlags;
  /** Training data keys in the bucket. */
  readonly keys: readonly string[];
}

export interface DemoArgs {
  readonly command: 'demo';
  readonly dir?: string;
  readonly json: boolean;
  readonly days?: number;
  readonly seed?: number;
  /** Keep the store and serve it after the simulation. */
  readonly serve: boolean;
  readonly port: number;
}

export interface InitArgs {
  readonly command: 'init';
  readonly store: string;
  readonly model: string;
  readonly config?: string;
  readonly version: string;
  /** Worker threads signing the reference files (0: the main thread). */
  readonly workers: number;
  readonly files: readonly string[];
}

export interface IngestArgs {
  readonly command: 'ingest';
  readonly store: string;
  readonly model?: string;
  /** Worker threads signing each batch (0: the main thread). */
  readonly workers: number;
  readonly files: readonly string[];
}

export interface RunArgs {
  readonly command: 'run';
  readonly store: string;
  readonly now?: Date;
  readonly url?: string;
}

/** Where the server binds. */
export interface ServeFlags {
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
}

export interface ServeArgs extends ServeFlags {
  readonly command: 'serve';
  readonly store: string;
}

export interface WatchArgs extends ServeFlags {
  readonly command: 'watch';
  readonly store: string;
  readonly batches: string;
  readonly model?: string;
  readonly everySeconds: number;
  readonly settleMs: number;
  readonly url?: string;
  readonly serve: boolean;
}

export interface VersionArgs {
  readonly command: 'version';
}

export interface HelpArgs {
  readonly command: 'help';
  /** Undefined for the general usage. */
  readonly topic?: CommandName;
}

export type CliArgs = BaselineArgs | CheckArgs | ReportArgs | ValidateConfigArgs | UploadConfigArgs | AdoptArgs | InitArgs | IngestArgs | RunArgs | ServeArgs | WatchArgs | DemoArgs | HelpArgs | VersionArgs;

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

const OPTIONS: Readonly<Record<CommandName, OptionSpec>> = {
  baseline: { out: { type: 'string' }, categorical: { type: 'string' }, bins: { type: 'string' }, workers: { type: 'string' } },
  check: {
    reference: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on-drift': { type: 'boolean' },
    html: { type: 'string' },
    categorical: { type: 'string' },
    bins: { type: 'string' },
    workers: { type: 'string' },
  },
  report: { in: { type: 'string' }, out: { type: 'string' } },
  'validate-config': {},
  'upload-config': { bucket: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' } },
  adopt: {
    bucket: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    model: { type: 'string' },
    version: { type: 'string' },
    proposal: { type: 'string' },
    force: { type: 'boolean' },
    'validation-score': { type: 'string' },
    'previous-score': { type: 'string' },
    metric: { type: 'string' },
    'metric-direction': { type: 'string' },
    'learning-curve': { type: 'string' },
    status: { type: 'string' },
  },
  init: { store: { type: 'string' }, model: { type: 'string' }, config: { type: 'string' }, version: { type: 'string' }, workers: { type: 'string' } },
  ingest: { store: { type: 'string' }, model: { type: 'string' }, workers: { type: 'string' } },
  run: { store: { type: 'string' }, now: { type: 'string' }, url: { type: 'string' } },
  serve: { store: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'allow-remote': { type: 'boolean' } },
  watch: {
    store: { type: 'string' },
    batches: { type: 'string' },
    model: { type: 'string' },
    every: { type: 'string' },
    settle: { type: 'string' },
    url: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'allow-remote': { type: 'boolean' },
    'no-serve': { type: 'boolean' },
  },
  demo: { dir: { type: 'string' }, json: { type: 'boolean' }, days: { type: 'string' }, seed: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' } },
  help: {},
};

/**
 * Parse the command line (without `node` and the script path) into a typed command; throws UsageError.
 *
 * @example
 * parseCliArgs(['check', '--reference', 'ref.json', '--json', 'batch.parquet']);
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { command: 'help' };
  if (first === '--version' || first === '-V') {
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' after --version`);
    return { command: 'version' };
  }
  if (!isCommand(first)) {
    throw new UsageError(first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`);
  }
  if (first === 'help') {
    if (rest.length > 1) throw new UsageError('help takes at most one command name', 'help');
    const topic = rest[0];
    if (topic === undefined) return { command: 'help' };
    if (!isCommand(topic)) throw new UsageError(`unknown command '${topic}'`);
    return { command: 'help', topic };
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...OPTIONS[first], help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error), first);
  }
  if (parsed.values.help === true) return { command: 'help', topic: first };
  return build(first, parsed.values, parsed.positionals);
}

/** The default address of the local server: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;
/** Hosts that reach only this machine. */
const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/;

function build(command: Exclude<CommandName, 'help'>, v: Record<string, string | boolean | undefined>, positionals: string[]): CliArgs {
  const str = (name: string): string | undefined => {
    const value = v[name];
    if (value === '') throw new UsageError(`--${name} needs a non-empty value`, command);
    return typeof value === 'string' ? value : undefined;
  };
  const required = (name: string): string => {
    const value = str(name);
    if (value === undefined) throw new UsageError(`missing required option --${name}`, command);
    return value;
  };
  const bool = (name: string): boolean => v[name] === true;
  const files = (min: number, max = Number.POSITIVE_INFINITY): string[] => {
    if (positionals.length < min) throw new UsageError(min === 1 && max === 1 ? 'expected one FILE' : 'expected at least one FILE', command);
    if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max]}'`, command);
    return positionals;
  };
  const int = (name: string, min: number, max: number): number | undefined => {
    const text = str(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, got '${text}'`, command);
    }
    return value;
  };
  /** --workers: 0 (the main thread) up to the threads this machine runs at once. */
  const workers = (): number => {
    const text = str('workers');
    if (text === undefined) return DEFAULT_WORKERS;
    const limit = availableParallelism();
    if (!/^\d+$/.test(text)) throw new UsageError(`--workers expects a whole number from 0 to ${limit}, got '${text}'`, command);
    const value = Number(text);
    if (value > limit) throw new UsageError(`--workers ${value} is more than this machine runs at once (${limit}, os.availableParallelism()); use 1 to ${limit}`, command);
    return value;
  };
  const endpoint = (): string | undefined => {
    const value = str('endpoint');
    if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
      throw new UsageError(`--endpoint expects an http(s) URL, got '${value}'`, command);
    }
    return value;
  };
  const url = (name: string): string | undefined => {
    const value = str(name);
    if (value !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(value)) throw new UsageError(`--${name} expects an http(s) URL, got '${value}'`, command);
    return value;
  };
  /** A duration flag: seconds, or <n>ms|s|m|h|d. */
  const duration = (name: string, fallback: number, min: number, max: number): number => {
    const text = str(name);
    if (text === undefined) return fallback;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
    const seconds = m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'] : Number.NaN;
    if (!(seconds >= min && seconds <= max)) throw new UsageError(`--${name} expects a duration like 30s, 1m or 2h (${min}s to ${max}s), got '${text}'`, command);
    return seconds;
  };
  const serveFlags = (): ServeFlags => {
    const host = str('host') ?? DEFAULT_HOST;
    const allowRemote = bool('allow-remote');
    if (!allowRemote && !LOOPBACK_HOSTS.test(host)) {
      throw new UsageError(`--host ${host} is not this machine only; add --allow-remote to serve decision links to other machines`, command);
    }
    return { host, port: int('port', 0, 65535) ?? DEFAULT_PORT, allowRemote };
  };
  const list = (name: string): string[] =>
    (str(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);

  switch (command) {
    case 'baseline':
      return { command, out: required('out'), categorical: list('categorical'), bins: int('bins', 2, 1000), workers: workers(), files: files(1) };
    case 'check':
      return {
        command,
        reference: required('reference'),
        config: str('config'),
        json: bool('json'),
        failOnDrift: bool('fail-on-drift'),
        html: str('html'),
        categorical: list('categorical'),
        bins: int('bins', 2, 1000),
        workers: workers(),
        files: files(1),
      };
    case 'report':
      files(0, 0);
      return { command, in: required('in'), out: required('out') };
    case 'validate-config':
      return { command, files: files(1) };
    case 'upload-config':
      return { command, bucket: required('bucket'), endpoint: endpoint(), region: str('region'), file: files(1, 1)[0] };
    case 'adopt': {
      const proposal = str('proposal');
      if (positionals.length === 0) throw new UsageError('expected at least one training data KEY', command);
      return {
        command,
        bucket: required('bucket'),
        endpoint: endpoint(),
        region: str('region'),
        model: required('model'),
        version: required('version'),
        ...(proposal !== undefined ? { proposal } : {}),
        force: bool('force'),
        ...adoptOutcomeFlags(str),
        keys: positionals,
      };
    }
    case 'init':
      return { command, store: required('store'), model: required('model'), config: str('config'), version: str('version') ?? 'v1', workers: workers(), files: files(1) };
    case 'ingest':
      return { command, store: required('store'), model: str('model'), workers: workers(), files: files(1) };
    case 'run': {
      files(0, 0);
      const nowText = str('now');
      const now = nowText === undefined ? undefined : new Date(nowText);
      if (now !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(nowText ?? '') || Number.isNaN(now.getTime()))) {
        throw new UsageError(`--now expects an ISO time like 2026-03-01T08:00:00Z, got '${nowText}'`, command);
      }
      return { command, store: required('store'), ...(now ? { now } : {}), url: url('url') };
    }
    case 'serve':
      files(0, 0);
      return { command, store: required('store'), ...serveFlags() };
    case 'watch':
      files(0, 0);
      return {
        command,
        store: required('store'),
        batches: required('batches'),
        model: str('model'),
        everySeconds: duration('every', 60, 1, 366 * 86_400),
        settleMs: duration('settle', 2, 0, 3600) * 1000,
        url: url('url'),
        serve: !bool('no-serve'),
        ...serveFlags(),
      };
    case 'demo':
      files(0, 0);
      return {
        command,
        dir: str('dir'),
        json: bool('json'),
        days: int('days', 1, 3650),
        seed: int('seed', 0, 2 ** 31 - 1),
        serve: bool('serve'),
        port: int('port', 0, 65535) ?? DEFAULT_PORT,
      };
  }
}

/** parseArgs' messages carry advice about `--` that does not apply here: keep the first sentence. */
function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const option = /'(-[^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option '${option}'`;
  return message.split(/(?<=\.)\s/)[0];
}

function isCommand(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}

/** The adopt command's outcome flags that were given (strings; cli/adopt-outcome.ts validates them). */
function adoptOutcomeFlags(str: (name: string) => string | undefined): { outcome?: AdoptOutcomeFlags } {
  const given = Object.entries({
    validationScore: str('validation-score'),
    previousScore: str('previous-score'),
    metric: str('metric'),
    metricDirection: str('metric-direction'),
    learningCurve: str('learning-curve'),
    status: str('status'),
  }).filter(([, v]) => v !== undefined);
  return given.length === 0 ? {} : { outcome: Object.fromEntries(given) as AdoptOutcomeFlags };
}
