#!/usr/bin/env node
// The `walkjump` command. All logic lives in ./cli/program.ts; this file only runs it.
import { main } from './cli/program.ts';

process.exitCode = await main(process.argv);
