// ocng config check|doc|example
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { renderConfigDoc, renderExampleYaml, renderResolvedYaml, updateReadmeText } from '../../config/doc.js';
import type { CliContext } from '../context.js';
import { CliError } from '../io.js';

type Ctx = (cmd: Command) => CliContext;

export function registerConfigCommands(program: Command, ctx: Ctx): void {
  const config = program.command('config').description('inspect and document the configuration');

  config
    .command('check')
    .description('validate the configuration and print it as YAML (each non-default value names its source)')
    .action((_opts: unknown, cmd: Command) => {
      const c = ctx(cmd);
      c.out(renderResolvedYaml(c.load()));
    });

  config
    .command('doc')
    .description('print the markdown table of every configuration key')
    .option('--update-readme [file]', 'rewrite the text between <!-- config:begin --> and <!-- config:end --> in README.md (or file)')
    .action((opts: { updateReadme?: string | boolean }, cmd: Command) => {
      const c = ctx(cmd);
      if (opts.updateReadme === undefined || opts.updateReadme === false) {
        c.out(renderConfigDoc());
        return;
      }
      const file = path.resolve(c.io.cwd, typeof opts.updateReadme === 'string' ? opts.updateReadme : 'README.md');
      let before: string;
      try {
        before = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const after = updateReadmeText(before);
      if (after !== before) fs.writeFileSync(file, after);
      c.out(after !== before ? `${file}: configuration table updated\n` : `${file}: configuration table already up to date\n`);
    });

  config
    .command('example')
    .description('print an example config file with every key commented out (the content of ocng.example.yaml)')
    .action((_opts: unknown, cmd: Command) => {
      ctx(cmd).out(renderExampleYaml());
    });
}
