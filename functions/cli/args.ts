import { parseArgs } from 'node:util';

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

export const COMMAND_NAMES = ['baseline', 'check', 'report', 'validate-config', 'upload-config', 'adopt', 'demo', 'help'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

interface CommandHelp {
  readonly synopsis: string;
  readonly summary: string;
  readonly details: readonly string[];
}

const HELP: Readonly<Record<CommandName, CommandHelp>> = {
  baseline: {
    synopsis: 'driftgate baseline --out REF.json [--categorical COL,...] [--bins N] FILE...',
    summary: 'Compute a reference signature from Parquet / Arrow IPC files.',
    details: [
      '--out REF.json        where to write the signature (required)',
      '--categorical COL,..  treat these columns as categorical (e.g. integer codes)',
      '--bins N              histogram bins per numeric column (default: the signature default)',
    ],
  },
  check: {
    synopsis:
      'driftgate check --reference REF [--config MODEL.json] [--json] [--fail-on-drift] [--html OUT.html] [--categorical COL,...] [--bins N] FILE...',
    summary: 'Compare files (merged) with a reference and print the drift of every feature.',
    details: [
      '--reference REF       a signature JSON (driftgate baseline) or a Parquet/Arrow file to baseline on the fly (required)',
      '--config MODEL.json   a model config: feature selection, tests, thresholds, dataset rule, column kinds',
      '--json                print exactly one JSON document (the drift result) on stdout',
      '--fail-on-drift       exit 1 when the action is drift or data-quality',
      '--html OUT.html       also write the HTML report',
      '--categorical COL,..  treat these columns as categorical',
      '--bins N              histogram bins when REF is a data file',
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
      'driftgate adopt --bucket BUCKET [--endpoint URL] [--region REGION] --model MODEL --version VERSION [--proposal ID] [--force] KEY...',
    summary:
      'Report a new model version: check its training data (keys under training/) and upload its adoption manifest to s3://BUCKET/adoptions/MODEL/VERSION.json.',
    details: [
      '--bucket BUCKET       the driftgate bucket (required)',
      '--model MODEL         the model id (its config must be uploaded; required)',
      '--version VERSION     the new model version, e.g. v2 (required)',
      '--proposal ID         the retrain proposal this version answers (recorded)',
      '--force               upload the manifest again even if it exists (re-adopts this version: a rollback)',
      '--endpoint URL        an S3-compatible endpoint (moto, LocalStack); default: AWS',
      '--region REGION       AWS region; default: the SDK resolution (AWS_REGION, profile)',
      'KEY...                training data object keys in the bucket, under training/',
    ],
  },
  demo: {
    synopsis: 'driftgate demo [--dir DIR] [--json] [--days N] [--seed N]',
    summary: 'Simulate weeks of batches for two models on a local folder: checks, cadence, proposal, approval, retrain.',
    details: [
      '--dir DIR             the local folder (default: a fresh temp folder, printed at the end)',
      '--json                one JSON object per line',
      '--days N              simulated days (default: the demo default)',
      '--seed N              random seed of the generated data',
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
    "Run 'driftgate help COMMAND' for a command's options.",
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
  /** Training data keys in the bucket. */
  readonly keys: readonly string[];
}

export interface DemoArgs {
  readonly command: 'demo';
  readonly dir?: string;
  readonly json: boolean;
  readonly days?: number;
  readonly seed?: number;
}

export interface HelpArgs {
  readonly command: 'help';
  /** Undefined for the general usage. */
  readonly topic?: CommandName;
}

export type CliArgs = BaselineArgs | CheckArgs | ReportArgs | ValidateConfigArgs | UploadConfigArgs | AdoptArgs | DemoArgs | HelpArgs;

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

const OPTIONS: Readonly<Record<CommandName, OptionSpec>> = {
  baseline: { out: { type: 'string' }, categorical: { type: 'string' }, bins: { type: 'string' } },
  check: {
    reference: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on-drift': { type: 'boolean' },
    html: { type: 'string' },
    categorical: { type: 'string' },
    bins: { type: 'string' },
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
  },
  demo: { dir: { type: 'string' }, json: { type: 'boolean' }, days: { type: 'string' }, seed: { type: 'string' } },
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
  const endpoint = (): string | undefined => {
    const value = str('endpoint');
    if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
      throw new UsageError(`--endpoint expects an http(s) URL, got '${value}'`, command);
    }
    return value;
  };
  const list = (name: string): string[] =>
    (str(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);

  switch (command) {
    case 'baseline':
      return { command, out: required('out'), categorical: list('categorical'), bins: int('bins', 2, 1000), files: files(1) };
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
        keys: positionals,
      };
    }
    case 'demo':
      files(0, 0);
      return { command, dir: str('dir'), json: bool('json'), days: int('days', 1, 3650), seed: int('seed', 0, 2 ** 31 - 1) };
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
