#!/usr/bin/env node
// The `rge-serve` bin: see serve-command.ts.
import { runServe } from "./serve-command.js";

void runServe(process.argv.slice(2)).then((code) => (process.exitCode = code));
