import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, isWalkJumpError, useBackend } from '@walkjump/tensor';
import { Command, CommanderError, Option } from 'commander';
import { runDemo } from '../demo/demo.ts';
import type { DemoResult } from '../demo/demo.ts';
import { ensureWritableDir } from '../internal/run-folder.ts';
import {
  BACKENDS,
  backendFlag,
  type EvalFlags,
  evalCommand,
  intFlag,
  numFlag,
  reproduceCommand,
  type SampleFlags,
  sampleCommand,
  type TrainFlags,
  trainCommand,
  UsageError,
} from './commands.ts';
import { DATA_SPECS } from './data-spec.ts';
import { demoReporter } from './progress.ts';

/** The facade's version, read from its package.json (one level above both src/ and dist/). */
export function walkjumpVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

interface DemoFlags {
  out: string;
  steps?: string;
  sigma?: string;
  backend?: string;
  seed?: string;
  chains?: string;
  walkSteps?: string;
  checkpointEvery?: string;
  resume?: boolean;
  quiet?: boolean;
  json?: boolean;
}

async function demoCommand(flags: DemoFlags): Promise<number> {
  const steps = intFlag('--steps', flags.steps, 1, 'a positive integer');
  const sigma = numFlag('--sigma', flags.sigma);
  const backend = backendFlag(flags.backend);
  const seed = intFlag('--seed', flags.seed, 0, 'a non-negative integer');
  const chains = intFlag('--chains', flags.chains, 2, 'an integer ≥ 2');
  const walkSteps = intFlag('--walk-steps', flags.walkSteps, 1, 'a positive integer');
  const checkpointEvery = intFlag('--checkpoint-every', flags.checkpointEvery, 1, 'a positive integer');
  ensureWritableDir(flags.out, '--out');
  const quiet = flags.quiet === true || flags.json === true;
  const reporter = demoReporter(quiet);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    reporter.stop();
    process.stderr.write(
      'walkjump: interrupt — finishing the current step and writing a checkpoint (Ctrl-C again to quit now)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: DemoResult;
  try {
    result = await runDemo({
      out: flags.out,
      resume: flags.resume === true,
      signal: controller.signal,
      onEvent: (e) => {
        // "resumed from step N" is part of the answer: printed even with --quiet (not with --json).
        if (e.type === 'resumed' && quiet && flags.json !== true) process.stderr.write(`resumed from step ${e.step}\n`);
        reporter.onEvent(e);
      },
      ...(steps !== undefined && { steps }),
      ...(sigma !== undefined && { sigma }),
      ...(backend !== undefined && { backend }),
      ...(seed !== undefined && { seed }),
      ...(chains !== undefined && { chains }),
      ...(walkSteps !== undefined && { walkSteps }),
      ...(checkpointEvery !== undefined && { checkpointEvery }),
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSigint);
  }
  if (result.interrupted) {
    if (flags.json === true)
      process.stdout.write(`${JSON.stringify({ interrupted: true, step: result.step, out: result.out })}\n`);
    process.stderr.write(
      `walkjump: interrupted at step ${result.step}; checkpoint saved in ${join(result.out, 'checkpoints')} — rerun with --resume to continue\n`,
    );
    return 130;
  }
  const m = result.metrics;
  if (flags.json === true) {
    process.stdout.write(
      `${JSON.stringify({ out: result.out, step: result.step, resumedFrom: result.resumedFrom, metrics: m })}\n`,
    );
    return 0;
  }
  if (m !== undefined) {
    const f = (x: number): string => x.toFixed(4).padStart(9);
    process.stdout.write(
      [
        `walk-jump on ring8, σ = ${m.config.sigma}, ${m.trainedSteps} training steps, ${m.samples} chains (${m.backend.name})`,
        `                      sliced W₁      MMD²   mode TV`,
        `  jump x̂ vs data   ${f(m.jump.slicedWasserstein)} ${f(m.jump.mmd)} ${f(m.jump.modeTv)}`,
        `  walk y  vs data   ${f(m.walk.slicedWasserstein)} ${f(m.walk.mmd)} ${f(m.walk.modeTv)}`,
        `  noisy data (ref)  ${f(m.noisyData.slicedWasserstein)} ${f(m.noisyData.mmd)} ${f(m.noisyData.modeTv)}`,
        `  data vs data      ${f(m.dataFloor.slicedWasserstein)} ${f(m.dataFloor.mmd)} ${f(m.dataFloor.modeTv)}`,
        `wrote ${result.out}/{config.json,samples.csv,metrics.json,plot.png} in ${(m.timing.totalMs / 1000).toFixed(1)} s`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}

function packageVersion(name: string): string {
  try {
    const req = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(req.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

async function infoCommand(flags: { backend?: string; json?: boolean }): Promise<number> {
  const backend = backendFlag(flags.backend);
  await useBackend(backend);
  const b = backendInfo();
  const info = {
    walkjump: walkjumpVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    backend: b,
    tfjs: {
      core: tf.version_core,
      wasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
      cpu: packageVersion('@tensorflow/tfjs-backend-cpu'),
      node: packageVersion('@tensorflow/tfjs-node'),
      nodeGpu: packageVersion('@tensorflow/tfjs-node-gpu'),
    },
  };
  if (flags.json === true) process.stdout.write(`${JSON.stringify(info)}\n`);
  else {
    process.stdout.write(
      [
        `walkjump ${info.walkjump} (node ${info.node}, ${info.platform})`,
        `backend  ${b.name} (requested ${b.requested}); SIMD ${b.simd ? 'on' : 'off'}; threads ${b.threads}; GPU ${b.gpu ? 'yes' : 'no'}`,
        `tfjs     core ${info.tfjs.core}; wasm ${info.tfjs.wasm}; cpu ${info.tfjs.cpu}; node ${info.tfjs.node}; node-gpu ${info.tfjs.nodeGpu}`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}

/** Builds the `walkjump` commander program; actions store their exit code in `code.value`. */
function program(code: { value: number }): Command {
  const p = new Command('walkjump')
    .description('Learn energies and scores by empirical Bayes and sample them (walk-jump sampling).')
    .version(walkjumpVersion(), '-V, --version')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  p.command('demo')
    .description('train a DEEN energy on the ring of 8 Gaussians, walk-jump sample it, write metrics and a plot')
    .option('-o, --out <dir>', 'run folder', 'runs/demo')
    .option('--steps <n>', 'training steps (default 3000)')
    .option('--sigma <s>', 'noise level σ (default 0.3)')
    .addOption(
      new Option('--backend <name>', `compute backend: ${BACKENDS.join('|')} (default auto, or $WALKJUMP_BACKEND)`),
    )
    .option('--seed <k>', 'random seed (default 0)')
    .option('--chains <n>', 'parallel walk-jump chains (default 2000)')
    .option('--walk-steps <n>', 'Langevin steps per chain (default 300)')
    .option('--checkpoint-every <n>', 'checkpoint every n training steps (default 100)')
    .option('--resume', 'continue training from the last checkpoint in the run folder')
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: DemoFlags) => {
      code.value = await demoCommand(flags);
    });
  p.command('train')
    .description('learn an energy from data by empirical Bayes and save it as a run folder')
    .option('--data <spec>', `training data: ${DATA_SPECS}`)
    .option('--method <m>', 'deen|multimeasurement|mdae|dual, or cebm for earth:/protein: data (default deen)')
    .option(
      '--net <net>',
      'energy network: mlp, mlp:<w>x<w>… (default mlp:64x64 for d ≤ 16, else mlp:256x256), conv or conv:<ch>x<ch>… (images; default conv:32x64x64)',
    )
    .option('--sigma <s>', 'noise level σ (default 0.3; 0.1 for earth: and protein:)')
    .option('--M <m>', 'number of measurements (default 4 for multimeasurement and mdae, else 1)')
    .option('--steps <n>', 'training steps (default 1000)')
    .option('--batch-size <n>', 'batch size (default 128)')
    .option('--lr <r>', 'peak Adam learning rate, cosine-decayed to a tenth (default 1e-3)')
    .option('--seed <k>', 'random seed (default 0)')
    .option('--max-train <n>', 'use only the first n training samples')
    .option('-o, --out <dir>', 'run folder (default runs/<data>)')
    .option('--checkpoint-every <n>', 'checkpoint every n steps (default 100)')
    .option('--resume', 'continue from the last checkpoint in the run folder')
    .option(
      '--data-dir <dir>',
      'data folder (default $WALKJUMP_DATA, ../shared/data beside a checkout, or ~/.cache/walkjump)',
    )
    .addOption(new Option('--backend <name>', `compute backend: ${BACKENDS.join('|')}`))
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'JSON lines on stdout (progress and result)')
    .action(async (flags: TrainFlags) => {
      code.value = await trainCommand(flags, walkjumpVersion());
    });
  p.command('sample')
    .description("walk-jump sample a trained run folder's model; writes samples.npy, sample.json and pictures")
    .option('--run <dir>', 'run folder made by walkjump train')
    .option('--sampler <s>', 'ula|mala|cheng|sachs (default ula); langevin|hmc for manifold data')
    .option('--steps <n>', 'walk steps per chain (default 200)')
    .option('--every <n>', 'jump every n steps (default steps/10)')
    .option('--chains <n>', 'parallel chains (default 64)')
    .option('--init <where>', 'noise|data: start from noise in the data range, or from noisy data (default noise)')
    .option('--step-size <e>', 'step size (default 0.2σ² overdamped, 0.25σ underdamped, 0.05 on manifolds)')
    .option('--friction <g>', 'friction of the underdamped samplers (default 2/σ)')
    .option('--seed <k>', 'random seed (default 0)')
    .option('--data-dir <dir>', 'data folder (as for train)')
    .addOption(new Option('--backend <name>', `compute backend: ${BACKENDS.join('|')}`))
    .option('--resume', 'continue an interrupted (Ctrl-C) sampling run from its checkpoint in the run folder')
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'JSON lines on stdout')
    .action(async (flags: SampleFlags) => {
      code.value = await sampleCommand(flags);
    });
  p.command('eval')
    .description('compare the samples of a run folder with held-out data; writes metrics.json')
    .option('--run <dir>', 'run folder with samples (walkjump sample)')
    .option(
      '--metrics <list>',
      'comma-separated: slicedWasserstein,mmd,energyDistance,classes (default all that apply)',
    )
    .option('--n <n>', 'compare at most n samples and n reference rows (default 2 × samples, within [500, 2000])')
    .option('--data-dir <dir>', 'data folder (as for train)')
    .addOption(new Option('--backend <name>', `compute backend: ${BACKENDS.join('|')}`))
    .option('-q, --quiet', 'no output but errors')
    .option('--json', 'one JSON line on stdout')
    .action(async (flags: EvalFlags) => {
      code.value = await evalCommand(flags);
    });
  p.command('reproduce')
    .description(
      'run a reproduction of the source papers (apps/reproductions; needs a repository checkout); "list" lists them',
    )
    .argument('<id>', 'reproduction id, or list')
    .option('--quick', 'smoke budget')
    .option('-o, --out <dir>', 'results folder (default apps/reproductions/results/<id>)')
    .action(async (id: string, flags: { quick?: boolean; out?: string }) => {
      code.value = await reproduceCommand(id, flags);
    });
  p.command('info')
    .description('show the backend (SIMD, threads) and versions')
    .addOption(new Option('--backend <name>', `backend to initialize: ${BACKENDS.join('|')}`))
    .option('--json', 'print as one JSON line')
    .action(async (flags: { backend?: string; json?: boolean }) => {
      code.value = await infoCommand(flags);
    });
  return p;
}

/** One line for an error: walkjump's own messages as they are, others with their first line only. */
function errorLine(e: unknown): string {
  if (e instanceof CommanderError) return e.message.replace(/^error:\s*/, '');
  if (isWalkJumpError(e)) return e.message;
  const err = e as NodeJS.ErrnoException;
  return (err?.message ?? String(e)).split('\n')[0] ?? String(e);
}

/**
 * Runs the `walkjump` CLI on `argv` (as `process.argv`) and resolves to the exit code: 0 on
 * success, 1 on a runtime error, 2 on a usage error, 130 after an interrupt. Errors are printed to
 * stderr as one line `walkjump: …` (with the stack when `WALKJUMP_DEBUG=1`).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const code = { value: 0 };
  try {
    await program(code).parseAsync([...argv]);
    return code.value;
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version'))
      return 0;
    // `walkjump` without a command: commander has printed the help; that is not a success.
    if (e instanceof CommanderError && e.code === 'commander.help') return 1;
    process.stderr.write(`walkjump: ${errorLine(e)}\n`);
    if (process.env.WALKJUMP_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    return e instanceof CommanderError || e instanceof UsageError ? 2 : 1;
  }
}
