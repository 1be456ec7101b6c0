#!/usr/bin/env node
// Launcher kept in the repository so that package managers can link it before the build runs. CommonJS
// (bin/package.json): Node starts a CommonJS main ~10 ms sooner than an ES module, on every run.
// `--server`: a resident linkkit-ld may run the command (bin/server-client.js); else it runs here.
"use strict";
const { served } = require("./server-client.js");

served("linkkit-ld").then((done) => done || require("./fresh-bundle.js").run("linkkit-ld"));
