#!/usr/bin/env node
// Launcher kept in the repository so that package managers can link it before the build runs.
"use strict";
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

import(pathToFileURL(join(__dirname, "..", "dist", "bin", "coffdump.js")).href);
