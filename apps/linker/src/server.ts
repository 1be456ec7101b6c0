// The link server (`linkkit /server ...`): a resident linkkit that runs the commands later runs of the same
// command line hand it, so that they pay neither V8's warm-up (a cold process runs a small link's code
// mostly in the interpreter: ~150 ms where a warm one takes ~20) nor, with /incremental, restoring and
// saving the session (the server keeps it in memory and writes the state after it has answered).
//
// The launcher is the client (bin/server-client.js, loaded before anything else): it finds the server by a
// socket named after the command line, the working directory and the build it runs, sends the command,
// prints the answer. When
// there is none, the command runs in its own process as always and then starts one. The server trusts
// nothing it kept that the files on disk contradict: an incremental run checks the state and the output
// exactly as a run in a fresh process does (the session it kept stands in for the saved one only while
// the manifest on disk is the one it wrote). It leaves after a while without commands.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { processAlive } from "./node-host.js";

// node:net, node:child_process and node:v8 are loaded by the server and by the run that starts one, not at
// every start-up (together ~10 ms of a process that only links).

/** What the client sends, one JSON line. */
export interface ServerRequest {
  readonly cwd: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** What the server answers, one JSON line. */
export interface ServerReply {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where a command run by the server writes, and what it leaves for after the answer. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Runs after the client has its answer, before the next command (writing the incremental state). */
  later(task: () => void): void;
}

/** Runs one command line; returns its exit code. */
export type CommandRunner = (argv: string[], io: CommandIo) => number;

/** How long a server waits for a command before it leaves. */
function idleMilliseconds(): number {
  const seconds = Number(process.env.LINKKIT_SERVER_IDLE_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10 * 60 * 1000;
}

/**
 * Serves commands on `socketPath` until it has been idle for a while, one at a time, in arrival order.
 * Another server on the same path (a race between two first runs) makes this one leave.
 */
export function serveCommands(socketPath: string, run: CommandRunner, prepare?: () => void): void {
  const queue: { request: ServerRequest; answer: (reply: ServerReply, then: () => void) => void }[] = [];
  let busy = false;
  const idleMs = idleMilliseconds();
  // The pid file is this server's from before it takes up its state until it leaves: runs that find no
  // socket meanwhile start no other server (each would take the socket from the one before).
  if (!claimPidFile(socketPath)) process.exit(0);
  const leave = () => {
    server.close();
    if (serverPid(socketPath) === process.pid) {
      rmSync(socketPath, { force: true });
      rmSync(`${socketPath}.pid`, { force: true });
    }
    process.exit(0);
  };
  let idle = setTimeout(leave, idleMs);
  const collectGarbage = garbageCollector();
  process.on("SIGTERM", leave);
  process.on("SIGINT", leave);

  const pump = () => {
    if (busy) return;
    const next = queue.shift();
    if (!next) return;
    busy = true;
    clearTimeout(idle);
    const later: (() => void)[] = [];
    let stdout = "", stderr = "";
    const io: CommandIo = { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, later: (task) => { later.push(task); } };
    let code: number;
    try {
      applyEnvironment(next.request.env);
      process.chdir(next.request.cwd);
      code = run([...next.request.argv], io);
    } catch (e) {
      stderr += `linkkit: internal error in the link server (please report): ${e instanceof Error ? e.stack : String(e)}\n`;
      code = 1;
    }
    // The state is written once the answer is out, while the client goes on; the next command waits for it.
    next.answer({ code, stdout, stderr }, () => setImmediate(() => {
      for (const task of later) {
        try { task(); } catch { /* the next command finds no state it trusts and links fully */ }
      }
      // Saving the state leaves tens of MB of garbage: collected now, while nobody waits, rather than in
      // the middle of the next command.
      if (queue.length === 0) collectGarbage?.();
      busy = false;
      idle = setTimeout(leave, idleMs);
      pump();
    }));
  };

  const server = process.getBuiltinModule("node:net").createServer((socket) => {
    let text = "";
    let received = false;
    socket.setEncoding("utf8");
    socket.on("error", () => { /* a client that went away */ });
    socket.on("data", (chunk: string) => {
      if (received) return; // one command per connection
      text += chunk;
      const end = text.indexOf("\n");
      if (end < 0) return;
      received = true;
      let request: ServerRequest;
      try {
        request = JSON.parse(text.slice(0, end)) as ServerRequest;
        if (typeof request.cwd !== "string" || !Array.isArray(request.argv) || typeof request.env !== "object") throw new Error("bad request");
      } catch {
        socket.destroy();
        return;
      }
      let done = false;
      queue.push({
        request,
        answer: (reply, then) => {
          const once = () => { if (!done) { done = true; then(); } };
          socket.once("close", once);
          socket.end(`${JSON.stringify(reply)}\n`, once);
        },
      });
      pump();
    });
  });
  server.on("error", () => {
    if (serverPid(socketPath) === process.pid) rmSync(`${socketPath}.pid`, { force: true });
    process.exit(0);
  });
  // Before the first client: what the run that started this server left on disk, taken up now (a first
  // command would otherwise pay for it).
  try { prepare?.(); } catch { /* the first command links as a fresh process would */ }
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  server.listen(socketPath);
}

/** The live process the socket's pid file names, or undefined (no file, or its process is gone). */
function serverPid(socketPath: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(`${socketPath}.pid`, "utf8"), 10);
  } catch {
    return undefined;
  }
  return processAlive(pid) ? pid : undefined;
}

/** How many servers one user may have at once (LINKKIT_MAX_SERVERS, default 4). */
function maxServers(): number {
  const n = Number(process.env.LINKKIT_MAX_SERVERS);
  return Number.isInteger(n) && n >= 0 ? n : 4;
}

/** The servers alive in the sockets' directory (one pid file each). */
function liveServers(dir: string): number {
  let names: string[];
  try { names = readdirSync(dir); } catch { return 0; }
  return names.filter((name) => name.endsWith(".sock.pid") && serverPid(join(dir, name.slice(0, -4))) !== undefined).length;
}

/** Writes this process's pid into the socket's pid file, unless another live server's is there. */
function claimPidFile(socketPath: string): boolean {
  const path = `${socketPath}.pid`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try { writeSync(fd, `${process.pid}\n`); } finally { closeSync(fd); }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") return true; // no pid file: serve anyway
    }
    const holder = serverPid(socketPath);
    if (holder !== undefined && holder !== process.pid) return false;
    rmSync(path, { force: true }); // a dead server's
  }
  return false;
}

/**
 * The sockets' directory must be this user's alone: commands carry the environment, and a socket someone
 * else could put there would receive them.
 */
function privateDirectory(dir: string): boolean {
  const st = statSync(dir);
  return st.isDirectory() && (typeof process.getuid !== "function" || st.uid === process.getuid()) && (st.mode & 0o077) === 0;
}

/** V8's full collection, which Node exposes only behind a flag (set here, for this process only). */
function garbageCollector(): (() => void) | undefined {
  try {
    process.getBuiltinModule("node:v8").setFlagsFromString("--expose-gc");
    return process.getBuiltinModule("node:vm").runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

/** The client's environment for one command: linkkit reads LIB and friends from it. */
function applyEnvironment(env: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}

/**
 * Starts a server for the socket the launcher named (LINKKIT_SERVER_SOCKET), after a run that found none.
 * A socket file left by a server that died is removed first (the launcher could not connect to it).
 */
export function startServer(launcher: string): boolean {
  const socketPath = process.env.LINKKIT_SERVER_SOCKET;
  if (!socketPath) return false;
  try {
    mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
    if (!privateDirectory(dirname(socketPath))) return false;
    // A server that is taking up its state, or that this run could not reach a moment ago but lives: no other.
    if (serverPid(socketPath) !== undefined) return false;
    // /incremental is served by default: a build of many outputs (or of command lines that name neither
    // their output nor the same files twice) would start a server for each, a few hundred MB each until
    // they idle out.
    if (liveServers(dirname(socketPath)) >= maxServers()) return false;
    rmSync(socketPath, { force: true });
    const { LINKKIT_SERVER_SOCKET: _, ...env } = process.env;
    // The command line that started it goes along: the server takes up its state before it listens. So do
    // the Node flags it ran with (the launcher's `#!` line's, through a package manager's shim).
    process.getBuiltinModule("node:child_process").spawn(process.execPath, [...process.execArgv, launcher, "--linkkit-server", socketPath, ...process.argv.slice(2)], { detached: true, stdio: "ignore", env }).unref();
    return true;
  } catch {
    return false; // the next run tries again
  }
}
