/** `mixmodal <command> [options]`: dispatches to the subcommands in ./commands. */
import type { Command } from './command.js';
import { parseCommandArgs } from './command.js';
import { dataCommand } from './commands/data.js';
import { embedCommand } from './commands/embed.js';
import { evalCommand } from './commands/eval.js';
import { experimentsCommand } from './commands/experiments.js';
import { expertShardCommand } from './commands/expert-shard.js';
import { generateCommand } from './commands/generate.js';
import { demoCommand } from './commands/demo.js';
import { inspectCommand } from './commands/inspect.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { tokenizerCommand } from './commands/tokenizer.js';

const COMMANDS: Command[] = [trainCommand, evalCommand, generateCommand, embedCommand, serveCommand, demoCommand, dataCommand, inspectCommand, tokenizerCommand, expertShardCommand, experimentsCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'mixmodal — multimodal Mixture-of-Experts models, traced to ONNX and run by ONNX Runtime',
    '',
    'Usage: mixmodal <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'mixmodal <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === 'version') {
    const pkg = await import('../../package.json', { with: { type: 'json' } });
    console.log(pkg.default.version);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`mixmodal: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let args;
  try {
    args = parseCommandArgs(cmd, rest);
  } catch (e) {
    console.error(`mixmodal ${name}: ${(e as Error).message}\n\n${cmd.help}`);
    return 2;
  }
  if (args.values.help) {
    console.log(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(args);
  } catch (e) {
    console.error(`mixmodal ${name}: ${(e as Error).message}`);
    return 1;
  }
}
