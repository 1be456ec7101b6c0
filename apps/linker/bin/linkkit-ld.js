#!/usr/bin/env node
// Launcher kept in the repository so that package managers can link it before the build runs. CommonJS
// (bin/package.json): Node starts a CommonJS main ~10 ms sooner than an ES module, on every run.
"use strict";
require("./fresh-bundle.js").run("linkkit-ld");
