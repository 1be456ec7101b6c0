#!/usr/bin/env node
// linkkit-elf: the GNU ld flavoured command line of the static x86-64 ELF linker.
import { runLinkkitElf } from "../driver.js";

process.exitCode = runLinkkitElf(process.argv.slice(2));
