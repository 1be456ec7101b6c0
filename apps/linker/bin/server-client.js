// The link server's client (apps/linker/src/server.ts): `linkkit /incremental ...` (or `/server`) sends its
// command to the resident linkkit for this command line when there is one, and prints its answer. Kept
// apart from the launcher and light on imports: a served run is mostly Node's start, and every module
// loaded adds to it.
"use strict";
const { existsSync, statSync } = require("node:fs");
const { dirname, join, resolve } = require("node:path");

/**
 * True when a server ran the command (its output printed, `process.exitCode` set); otherwise says, through
 * LINKKIT_SERVER_SOCKET, where the command should start one once it is done.
 */
async function served(name) {
  const argv = process.argv.slice(2);
  if (!wantsServer(argv)) return false;
  const socket = serverSocket(name, argv);
  if (await askServer(socket, argv)) return true;
  process.env.LINKKIT_SERVER_SOCKET = socket;
  return false;
}

/**
 * Whether to hand the command to a server: `/server` or `/server:no` (`--server`, `--no-server`) on the
 * command line itself (not in a response file) decides; without either, an incremental link is served
 * (what it exists for: a fresh process pays Node's start, V8's warm-up and restoring the saved session on
 * every run, ~0.3 s on a large program, before an update of a few ms). Never under a crash test, with
 * --watch or with LINKKIT_SERVER=0.
 */
function wantsServer(argv) {
  if (process.env.LINKKIT_CRASH_AFTER_WRITE !== undefined || process.env.LINKKIT_SERVER === "0") return false;
  let server, incremental = false;
  for (const arg of argv) {
    if (/^[/-]-?server(:yes)?$/i.test(arg)) server = true;
    else if (/^([/-]-?server:no|--?no-server)$/i.test(arg)) server = false;
    else if (/^[/-]-?incremental(:yes)?$/i.test(arg)) incremental = true;
    else if (/^([/-]-?incremental:no|--?no-incremental)$/i.test(arg)) incremental = false;
    else if (/^[/-]-?watch$/i.test(arg)) return false;
  }
  // Servers listen on a Unix socket in the temporary directory: not the default where there is none.
  return server ?? (incremental && process.platform !== "win32");
}

/**
 * The output the command line names itself (`/out:` for linkkit; `-o`, `--output` for linkkit-ld), or
 * undefined (it is in a response file, or the default).
 */
function outputOf(name, argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (name === "linkkit") {
      const m = /^[/-]out:(.+)$/i.exec(arg);
      if (m) return m[1];
    } else if (arg === "-o" || arg === "--output") {
      return argv[i + 1];
    } else if (arg.startsWith("--output=")) {
      return arg.slice("--output=".length);
    } else if (arg.startsWith("-o") && !arg.startsWith("-o-")) {
      return arg.slice(2);
    }
  }
  return undefined;
}

/**
 * The server's socket for this command's output (else for this command line), in this directory, of this
 * build of linkkit (a rebuilt linkkit gets servers of its own; the old ones leave when idle). By output:
 * a compiler driver names a new temporary file in each command line (gcc's `-fresolution=/tmp/cc*.res`,
 * the objects of `gcc main.c`), and one output has one state to keep warm. Any hash does: a server runs
 * whatever command it is sent, a collision only shares one.
 */
function serverSocket(name, argv) {
  const built = (url) => { try { return statSync(url).mtimeMs; } catch { return 0; } };
  const build = [built(join(__dirname, "..", "dist", "bundle", `${name}.cjs`)), built(join(__dirname, "..", "dist", "bin", `${name}.js`))];
  const output = outputOf(name, argv);
  const command = output === undefined ? ["command", argv] : ["output", resolve(output)];
  const key = JSON.stringify([name, process.cwd(), command, __filename, build]);
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return join(require("node:os").tmpdir(), `linkkit-${uid}`, `${h1.toString(16).padStart(8, "0")}${h2.toString(16).padStart(8, "0")}.sock`);
}

/** Sends the command to the server on `socket`; false when there is none (then the command runs here). */
async function askServer(socket, argv) {
  if (!existsSync(socket)) return false;
  // Only a directory of this user's alone (commands carry the environment).
  const dir = statSync(dirname(socket));
  if (typeof process.getuid === "function" && (dir.uid !== process.getuid() || (dir.mode & 0o077) !== 0)) return false;
  const { connect } = require("node:net");
  const reply = await new Promise((resolve) => {
    let text = "", answered = false;
    const conn = connect(socket);
    conn.setEncoding("utf8");
    conn.on("connect", () => {
      conn.write(`${JSON.stringify({ cwd: process.cwd(), argv, env: process.env })}\n`);
    });
    // The answer is one line: taken as soon as it is whole (the server goes on to write its state).
    const take = () => {
      answered = true;
      conn.destroy();
      try { resolve(JSON.parse(text)); } catch { resolve(undefined); }
    };
    conn.on("data", (chunk) => { text += chunk; if (!answered && text.endsWith("\n")) take(); });
    conn.on("end", () => { if (!answered) take(); });
    conn.on("error", () => { if (!answered) resolve(undefined); });
  });
  if (reply === undefined || typeof reply.code !== "number") return false;
  // An empty answer makes no stream: making one costs start-up time.
  if (reply.stdout) process.stdout.write(reply.stdout);
  if (reply.stderr) process.stderr.write(reply.stderr);
  process.exitCode = reply.code;
  return true;
}

module.exports = { served };
