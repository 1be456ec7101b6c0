// A generator of multi-module C programs and of random edits to them, for the randomized incremental
// test. Programs are built so that any edit keeps them well defined: calls only go to functions of a
// lower rank (no recursion), loops are bounded, arithmetic is unsigned, and every result is printed, so a
// wrong address anywhere shows up as different output.

/** A small deterministic PRNG (mulberry32): the same seed replays the same edits. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

type Op =
  | { readonly kind: "arith"; readonly a: number; readonly b: number }
  | { readonly kind: "loop"; readonly n: number; readonly c: number }
  | { readonly kind: "call"; readonly fn: string; readonly c: number }
  | { readonly kind: "data"; readonly data: string; readonly index: number }
  | { readonly kind: "store"; readonly data: string; readonly index: number }
  | { readonly kind: "table"; readonly data: string }
  | { readonly kind: "deref"; readonly data: string }
  | { readonly kind: "import"; readonly api: string };

interface Fn {
  readonly name: string;
  module: number;
  readonly rank: number;
  readonly isStatic: boolean;
  exported: boolean;
  ops: Op[];
}

type DataKind = "data" | "rdata" | "bss" | "table" | "pointer" | "selectany";
interface Data {
  readonly name: string;
  module: number;
  readonly kind: DataKind;
  values: number[];
  /** table: function names; pointer: the data item it points into (`values[0]` is the index). */
  targets: string[];
  /** selectany: the other modules that define a copy too (COMDATs appear and disappear). */
  copies: number[];
}

/** Kernel32 functions whose result is deterministic once compared with zero. */
export const GENERATOR_IMPORTS = ["GetCurrentProcessId", "GetCurrentThreadId", "GetProcessHeap", "GetCommandLineA", "IsDebuggerPresent", "GetVersion"];

export class ProgramModel {
  readonly functions = new Map<string, Fn>();
  readonly data = new Map<string, Data>();
  /** Module numbers in use; a removed module's number is not reused. */
  readonly modules: number[] = [];
  private serial = 0;
  readonly log: string[] = [];

  constructor(private readonly random: Random, moduleCount: number, functionsPerModule: number) {
    for (let m = 0; m < moduleCount; m++) this.modules.push(m);
    for (let m = 0; m < moduleCount; m++) {
      for (let i = 0; i < 2; i++) this.addData(m);
      for (let i = 0; i < functionsPerModule; i++) this.addFunction(m);
    }
  }

  // ------------------------------------------------------------------ sources

  /** File name → C source, for every module and for the main module. */
  sources(): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of this.modules) out.set(`m${m}.c`, this.moduleSource(m));
    out.set("main.c", this.mainSource());
    return out;
  }

  private mainSource(): string {
    const fns = [...this.functions.values()].filter((f) => !f.isStatic).sort((a, b) => a.rank - b.rank);
    // The exception table must find every function that has an entry at its own start: the loader's
    // lookup (used to unwind the stack for exceptions) is asked for each function.
    const lines = [
      "void print(const char *s);", "void print_int(long v);", "void finish(unsigned int code);",
      "typedef struct { unsigned begin, end, unwind; } RuntimeFunction;",
      "__declspec(dllimport) RuntimeFunction *__stdcall RtlLookupFunctionEntry(unsigned long long pc, unsigned long long *base, void *history);",
      "static unsigned unwind_entry(void *f) {",
      "  unsigned long long base = 0; RuntimeFunction *r = RtlLookupFunctionEntry((unsigned long long)f, &base, 0);",
      "  return !r ? 0 : r->begin == (unsigned)((unsigned long long)f - base) ? 1 : 1000;",
      "}",
      ...fns.map((f) => `unsigned ${f.name}(unsigned);`),
      "void start(void) {", "  unsigned acc = 0, r, unwind = 0;",
      ...fns.map((f) => `  r = ${f.name}(${f.rank % 97}u); print("${f.name}="); print_int(r); print("\\n"); acc += r; unwind += unwind_entry((void *)${f.name});`),
      `  print("total="); print_int(acc); print("\\n");`, `  print("unwind entries="); print_int(unwind); print("\\n");`,
      "  finish(acc & 0xff);", "}",
    ];
    return lines.join("\n") + "\n";
  }

  private moduleSource(m: number): string {
    const own = [...this.functions.values()].filter((f) => f.module === m).sort((a, b) => a.rank - b.rank);
    const ownData = [...this.data.values()].filter((d) => d.module === m || d.copies.includes(m));
    const declared = new Set<string>();
    const decls: string[] = [];
    const imports = new Set<string>();
    const needData = (name: string) => {
      const d = this.data.get(name)!;
      if (d.module === m || d.copies.includes(m) || declared.has(name)) return;
      declared.add(name);
      decls.push(this.dataDeclaration(d));
    };
    const needFn = (name: string) => {
      const f = this.functions.get(name)!;
      if (f.module === m || declared.has(name)) return;
      declared.add(name);
      decls.push(`unsigned ${name}(unsigned);`);
    };
    for (const d of ownData) {
      if (d.kind === "table") d.targets.forEach(needFn);
      if (d.kind === "pointer") needData(d.targets[0]!);
    }
    for (const f of own) {
      for (const op of f.ops) {
        if (op.kind === "call") needFn(op.fn);
        else if (op.kind === "import") imports.add(op.api);
        else if ("data" in op) needData(op.data);
      }
    }
    // Forward declarations of the module's own functions: data may point at them before they appear.
    const forward = own.map((f) => `${f.isStatic ? "static " : f.exported ? "__declspec(dllexport) " : ""}unsigned ${f.name}(unsigned);`);
    const importDecls = [...imports].sort().map((api, i) =>
      // Half the imports through __imp_ (dllimport), half through a jump thunk.
      `${(api.length + i) % 2 === 0 ? "__declspec(dllimport) " : ""}${api === "GetCommandLineA" || api === "GetProcessHeap" ? "void *" : "unsigned long"} __stdcall ${api}(void);`);
    const dataDefs = ownData.sort((a, b) => a.name.localeCompare(b.name)).map((d) => this.dataDefinition(d, m));
    const bodies = own.map((f) => this.functionSource(f));
    return [...importDecls, ...decls, ...forward, ...dataDefs, ...bodies].join("\n") + "\n";
  }

  private dataDeclaration(d: Data): string {
    switch (d.kind) {
      case "table": return `extern unsigned (*${d.name}[${d.targets.length}])(unsigned);`;
      case "pointer": return `extern unsigned *${d.name};`;
      case "selectany": return `extern unsigned ${d.name};`;
      case "rdata": return `extern const unsigned ${d.name}[${d.values.length}];`;
      default: return `extern unsigned ${d.name}[${d.values.length}];`;
    }
  }

  private dataDefinition(d: Data, m: number): string {
    switch (d.kind) {
      case "data": return `unsigned ${d.name}[${d.values.length}] = {${initializer(d.values)}};`;
      case "rdata": return `const unsigned ${d.name}[${d.values.length}] = {${initializer(d.values)}};`;
      case "bss": return `unsigned ${d.name}[${d.values.length}];`;
      case "table": return `unsigned (*${d.name}[${d.targets.length}])(unsigned) = {${d.targets.join(", ")}};`;
      case "pointer": return `unsigned *${d.name} = &${d.targets[0]}[${d.values[0]! % this.lengthOf(d.targets[0]!)}];`;
      case "selectany": return `__declspec(selectany) unsigned ${d.name} = ${d.values[0]}u; /* copy in m${m} */`;
    }
  }

  private lengthOf(data: string): number {
    return this.data.get(data)!.values.length;
  }

  private functionSource(f: Fn): string {
    const body = f.ops.map((op) => {
      switch (op.kind) {
        case "arith": return `  acc = acc * ${op.a}u + (x ^ ${op.b}u);`;
        case "loop": return `  for (unsigned i = 0; i < ${op.n}u; i++) acc += (i * ${op.c}u) ^ (acc >> 3);`;
        case "call": return `  acc += ${op.fn}(x + ${op.c}u);`;
        case "data": {
          const d = this.data.get(op.data)!;
          return d.kind === "selectany" ? `  acc += ${op.data};` : `  acc += ${op.data}[(x + ${op.index}u) % ${d.values.length}u];`;
        }
        case "store": return `  ${op.data}[${op.index % this.lengthOf(op.data)}] += x; acc ^= ${op.data}[${op.index % this.lengthOf(op.data)}];`;
        case "table": {
          const d = this.data.get(op.data)!;
          return `  acc += ${op.data}[x % ${d.targets.length}u](acc & 15u);`;
        }
        case "deref": return `  acc += *${op.data};`;
        case "import": return `  acc += ${op.api}() != 0;`;
      }
    });
    const exported = f.exported ? "__declspec(dllexport) " : "";
    return `${f.isStatic ? "static " : exported}unsigned ${f.name}(unsigned x) {\n  unsigned acc = x;\n${body.join("\n")}\n  return acc;\n}`;
  }

  // ------------------------------------------------------------------ edits

  /** One random edit; returns what it did (for the log printed on failure). */
  edit(): string {
    const r = this.random;
    const kinds: [number, () => string | undefined][] = [
      [5, () => this.grow()],
      [3, () => this.shrink()],
      [2, () => this.growLarge()],
      [3, () => { const m = r.pick(this.modules); return `add function ${this.addFunction(m)} to m${m}`; }],
      [2, () => this.removeFunction()],
      [2, () => { const m = r.pick(this.modules); return `add data ${this.addData(m)} to m${m}`; }],
      [1, () => this.removeData()],
      [2, () => this.moveFunction()],
      [1, () => this.moveData()],
      [2, () => this.addImportUse()],
      [2, () => this.toggleExport()],
      [2, () => this.resizeData()],
      [1, () => this.toggleSelectanyCopy()],
      [1, () => this.addModule()],
      [1, () => this.removeModule()],
    ];
    const total = kinds.reduce((s, [w]) => s + w, 0);
    for (let attempt = 0; attempt < 20; attempt++) {
      let x = r.int(total);
      for (const [w, apply] of kinds) {
        if (x < w) {
          const what = apply();
          if (what !== undefined) { this.log.push(what); return what; }
          break;
        }
        x -= w;
      }
    }
    return this.grow() ?? "nothing";
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.serial++}`;
  }

  private randomOp(f: { rank: number; module: number }): Op {
    const r = this.random;
    for (;;) {
      switch (r.int(8)) {
        case 0: return { kind: "arith", a: r.int(1000) | 1, b: r.int(100000) };
        case 1: return { kind: "loop", n: 1 + r.int(20), c: r.int(50) };
        case 2: {
          const callees = [...this.functions.values()].filter((g) => g.rank < f.rank && (!g.isStatic || g.module === f.module));
          if (callees.length > 0) return { kind: "call", fn: r.pick(callees).name, c: r.int(10) };
          break;
        }
        case 3: case 4: {
          const items = [...this.data.values()];
          if (items.length === 0) break;
          const d = r.pick(items);
          if (d.kind === "table") {
            if (d.targets.every((t) => this.functions.get(t)!.rank < f.rank)) return { kind: "table", data: d.name };
          } else if (d.kind === "pointer") return { kind: "deref", data: d.name };
          else if (d.kind === "data" || d.kind === "bss") return r.chance(0.5) ? { kind: "store", data: d.name, index: r.int(64) } : { kind: "data", data: d.name, index: r.int(64) };
          else return { kind: "data", data: d.name, index: r.int(64) };
          break;
        }
        case 5: if (r.chance(0.3)) return { kind: "import", api: r.pick(GENERATOR_IMPORTS) }; break;
        default: return { kind: "arith", a: r.int(1000) | 1, b: r.int(100000) };
      }
    }
  }

  addFunction(m: number): string {
    const r = this.random;
    const name = this.fresh("f");
    const f: Fn = { name, module: m, rank: r.int(1_000_000), isStatic: r.chance(0.2), exported: false, ops: [] };
    const n = 1 + r.int(5);
    for (let i = 0; i < n; i++) f.ops.push(this.randomOp(f));
    this.functions.set(name, f);
    if (f.isStatic) {
      // Someone in the module must call it, or the compiler drops it; else it becomes global.
      const callers = [...this.functions.values()].filter((g) => g.module === m && g.rank > f.rank);
      if (callers.length > 0) r.pick(callers).ops.push({ kind: "call", fn: name, c: r.int(10) });
      else (f as { isStatic: boolean }).isStatic = false;
    }
    return name;
  }

  addData(m: number): string {
    const r = this.random;
    const kinds: DataKind[] = ["data", "rdata", "bss", "table", "pointer", "selectany"];
    const kind = r.pick(kinds);
    const name = this.fresh(kind === "table" ? "t" : kind === "pointer" ? "p" : "d");
    const d: Data = { name, module: m, kind, values: [], targets: [], copies: [] };
    if (kind === "table") {
      const globals = [...this.functions.values()].filter((f) => !f.isStatic);
      if (globals.length === 0) return this.addData(m);
      const n = 1 + r.int(4);
      for (let i = 0; i < n; i++) d.targets.push(r.pick(globals).name);
    } else if (kind === "pointer") {
      const arrays = [...this.data.values()].filter((x) => x.kind === "data" || x.kind === "bss");
      if (arrays.length === 0) return this.addData(m);
      d.targets.push(r.pick(arrays).name);
      d.values.push(r.int(64));
    } else if (kind === "selectany") {
      d.values.push(r.int(100000));
    } else {
      const n = 1 + r.int(kind === "bss" ? 400 : 40);
      for (let i = 0; i < n; i++) d.values.push(kind === "bss" ? 0 : r.int(100000));
    }
    this.data.set(name, d);
    // Used by some function, so that it is linked in.
    const users = [...this.functions.values()];
    if (users.length > 0) {
      for (let i = 0; i < 2; i++) {
        const u = r.pick(users);
        const op = this.useOf(d, u);
        if (op) u.ops.push(op);
      }
    }
    return name;
  }

  private useOf(d: Data, user: Fn): Op | undefined {
    if (d.kind === "table") return d.targets.every((t) => this.functions.get(t)!.rank < user.rank) ? { kind: "table", data: d.name } : undefined;
    if (d.kind === "pointer") return { kind: "deref", data: d.name };
    return { kind: "data", data: d.name, index: this.random.int(64) };
  }

  private grow(): string | undefined {
    const f = this.pickFunction();
    if (!f) return undefined;
    const n = 1 + this.random.int(4);
    for (let i = 0; i < n; i++) f.ops.splice(this.random.int(f.ops.length + 1), 0, this.randomOp(f));
    return `grow ${f.name} by ${n} ops`;
  }

  private growLarge(): string | undefined {
    const f = this.pickFunction();
    if (!f) return undefined;
    const n = 20 + this.random.int(60);
    for (let i = 0; i < n; i++) f.ops.push({ kind: "arith", a: this.random.int(1000) | 1, b: this.random.int(100000) });
    return `grow ${f.name} by ${n} arithmetic ops`;
  }

  private shrink(): string | undefined {
    const f = this.pickFunction((g) => g.ops.length > 1);
    if (!f) return undefined;
    const n = 1 + this.random.int(Math.ceil(f.ops.length / 2));
    const keep = f.ops.length - n;
    // Keep a static function's callers' calls: removing ops never removes a call to a static function
    // that would be its last caller (the compiler would drop it, which is fine, but keep it simple).
    f.ops = f.ops.filter((op, i) => i < keep || (op.kind === "call" && this.functions.get(op.fn)!.isStatic));
    return `shrink ${f.name} by ${n} ops`;
  }

  private removeFunction(): string | undefined {
    const f = this.pickFunction((g) => !g.isStatic);
    if (!f || this.functions.size <= 3) return undefined;
    this.functions.delete(f.name);
    for (const g of this.functions.values()) g.ops = g.ops.filter((op) => !(op.kind === "call" && op.fn === f.name));
    for (const d of [...this.data.values()]) {
      if (d.kind !== "table") continue;
      d.targets = d.targets.filter((t) => t !== f.name);
      if (d.targets.length === 0) this.deleteData(d.name);
    }
    // Its static callees lose their caller: they go too (recursively).
    for (const g of [...this.functions.values()]) {
      if (g.isStatic && !this.hasCaller(g.name)) this.functions.delete(g.name);
    }
    return `remove function ${f.name} from m${f.module}`;
  }

  private hasCaller(name: string): boolean {
    for (const g of this.functions.values()) if (g.ops.some((op) => op.kind === "call" && op.fn === name)) return true;
    return false;
  }

  private removeData(): string | undefined {
    const items = [...this.data.values()];
    if (items.length <= 2) return undefined;
    const d = this.random.pick(items);
    this.deleteData(d.name);
    return `remove data ${d.name} from m${d.module}`;
  }

  private deleteData(name: string): void {
    this.data.delete(name);
    for (const g of this.functions.values()) g.ops = g.ops.filter((op) => !("data" in op && op.data === name));
    for (const d of [...this.data.values()]) if (d.kind === "pointer" && d.targets[0] === name) this.deleteData(d.name);
  }

  private moveFunction(): string | undefined {
    const f = this.pickFunction((g) => !g.isStatic && !this.hasStaticCallee(g));
    if (!f || this.modules.length < 2) return undefined;
    const to = this.random.pick(this.modules.filter((m) => m !== f.module));
    const from = f.module;
    f.module = to;
    return `move function ${f.name} from m${from} to m${to}`;
  }

  private hasStaticCallee(f: Fn): boolean {
    return f.ops.some((op) => op.kind === "call" && this.functions.get(op.fn)!.isStatic);
  }

  private moveData(): string | undefined {
    const items = [...this.data.values()].filter((d) => d.kind !== "selectany");
    if (items.length === 0 || this.modules.length < 2) return undefined;
    const d = this.random.pick(items);
    const to = this.random.pick(this.modules.filter((m) => m !== d.module));
    const from = d.module;
    d.module = to;
    return `move data ${d.name} from m${from} to m${to}`;
  }

  private addImportUse(): string | undefined {
    const f = this.pickFunction();
    if (!f) return undefined;
    const api = this.random.pick(GENERATOR_IMPORTS);
    f.ops.push({ kind: "import", api });
    return `${f.name} calls ${api}`;
  }

  private toggleExport(): string | undefined {
    const f = this.pickFunction((g) => !g.isStatic);
    if (!f) return undefined;
    f.exported = !f.exported;
    return `${f.exported ? "export" : "unexport"} ${f.name}`;
  }

  private resizeData(): string | undefined {
    const items = [...this.data.values()].filter((d) => d.kind === "data" || d.kind === "rdata" || d.kind === "bss");
    if (items.length === 0) return undefined;
    const d = this.random.pick(items);
    // Now and then an item outgrows the megabyte of address space a section keeps: what follows shifts.
    const huge = this.random.chance(0.06);
    const n = huge ? 300_000 + this.random.int(50_000) : 1 + this.random.int(this.random.chance(0.3) ? 2000 : 60);
    d.values = Array.from({ length: n }, (_, i) => (d.kind === "bss" || (huge && i >= 8) ? 0 : this.random.int(100000)));
    return `resize ${d.name} to ${n} values`;
  }

  private toggleSelectanyCopy(): string | undefined {
    const items = [...this.data.values()].filter((d) => d.kind === "selectany");
    if (items.length === 0 || this.modules.length < 2) return undefined;
    const d = this.random.pick(items);
    const m = this.random.pick(this.modules.filter((x) => x !== d.module));
    if (d.copies.includes(m)) {
      d.copies = d.copies.filter((x) => x !== m);
      return `drop the copy of ${d.name} in m${m}`;
    }
    d.copies.push(m);
    return `add a copy of ${d.name} to m${m}`;
  }

  private addModule(): string | undefined {
    if (this.modules.length >= 8) return undefined;
    const m = Math.max(...this.modules) + 1;
    this.modules.push(m);
    const name = this.addFunction(m);
    return `new module m${m} with ${name}`;
  }

  private removeModule(): string | undefined {
    if (this.modules.length <= 2) return undefined;
    const m = this.random.pick(this.modules);
    const to = this.random.pick(this.modules.filter((x) => x !== m));
    // Its contents move elsewhere; the object goes away.
    for (const f of this.functions.values()) if (f.module === m) f.module = to;
    for (const d of this.data.values()) {
      if (d.module === m) d.module = to;
      d.copies = d.copies.filter((x) => x !== m && x !== d.module);
    }
    this.modules.splice(this.modules.indexOf(m), 1);
    return `remove module m${m} (its contents go to m${to})`;
  }

  private pickFunction(filter: (f: Fn) => boolean = () => true): Fn | undefined {
    const candidates = [...this.functions.values()].filter(filter);
    return candidates.length === 0 ? undefined : this.random.pick(candidates);
  }
}

/** An array initializer without its trailing zeros (C fills them in). */
function initializer(values: readonly number[]): string {
  let n = values.length;
  while (n > 1 && values[n - 1] === 0) n--;
  return values.slice(0, n).join(", ");
}
