/** The shape every `mixmodal` subcommand has: a name, a one-line summary, its help text and a run function. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  /** Full `--help` text: usage line, options with defaults, an example. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the process exit code. */
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

/** Parses `argv` for `cmd`; unknown options are errors that name the option. */
export function parseCommandArgs(cmd: Command, argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

/** Reads a numeric option, with a clear error naming it when it is not a number in range. */
export function numberOption(values: Record<string, unknown>, name: string, fallback: number, o: { min?: number; integer?: boolean } = {}): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min)) {
    throw new Error(`--${name} must be ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}, got '${String(raw)}'`);
  }
  return n;
}
