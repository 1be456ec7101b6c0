#!/usr/bin/env node
// Launcher kept in the repository so that package managers can link it before the build runs.
// `/server`: a resident linkkit may run the command (bin/server-client.js); else it runs here.
import { served } from "./server-client.js";

if (!(await served("linkkit"))) {
  const { run } = await import("./fresh-bundle.js");
  await run("linkkit");
}
