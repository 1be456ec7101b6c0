#!/usr/bin/env -S node --v8-pool-size=0
// Launcher kept in the repository so that package managers can link it before the build runs. CommonJS
// (bin/package.json): Node starts a CommonJS main ~10 ms sooner than an ES module, on every run.
// `/server`: a resident linkkit may run the command (bin/server-client.js); else it runs here.
// `--v8-pool-size=0`: V8's background threads one per core beyond the main thread (Node's default is
// four). More compete with the link for the cores, and a small link on two cores took 0.11 s instead of
// 0.085 s. Package managers' shims pass the flags of this line on; `node bin/linkkit.js` drops them.
"use strict";
const { served } = require("./server-client.js");

served("linkkit").then((done) => done || require("./fresh-bundle.js").run("linkkit"));
