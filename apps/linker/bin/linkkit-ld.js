#!/usr/bin/env node
// Launcher kept in the repository so that package managers can link it before the build runs.
import { run } from "./fresh-bundle.js";

await run("linkkit-ld");
