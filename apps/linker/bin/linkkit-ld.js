#!/usr/bin/env node
// Launcher kept in the repository so that package managers can link it before the build runs.
import { entryOf, exitWhenDone } from "./fresh-bundle.js";

await import(entryOf("linkkit-ld"));
exitWhenDone();
