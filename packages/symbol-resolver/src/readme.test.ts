// Runs every TypeScript example in this package's README and checks it prints the "Output:" block
// that follows it, so the README cannot drift from the API.
import { readFileSync } from "node:fs";
import { format } from "node:util";
import ts from "typescript";
import { expect, it } from "vitest";
import * as resolver from "./index.js";

interface Example { readonly code: string; readonly output: string }

/** Each ```ts (or ```js) block followed, after an "Output:" line, by a plain ``` block. */
function examplesOf(markdown: string): Example[] {
  const pattern = /```(?:ts|js)\n([\s\S]*?)```\s*\n\s*Output:\s*\n\s*```[a-z]*\n([\s\S]*?)```/g;
  return Array.from(markdown.matchAll(pattern), (m) => ({ code: m[1]!, output: m[2]!.trimEnd() }));
}

/** Transpiles the example, binds its `@linkkit/*` imports to `modules`, runs it and returns what it logged. */
async function runExample(code: string, modules: Record<string, unknown>): Promise<string> {
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const bound = js.replace(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)";?/g, (_all, names: string, from: string) =>
    `const {${names.replace(/\bas\b/g, ":")}} = __modules[${JSON.stringify(from)}];`);
  const lines: string[] = [];
  const console = { log: (...args: unknown[]) => lines.push(format(...args)) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
  await new AsyncFunction("__modules", "console", bound)(modules, console);
  return lines.join("\n");
}

function readmeExamplesRun(readmeUrl: URL, modules: Record<string, unknown>, expectedCount: number): void {
  const examples = examplesOf(readFileSync(readmeUrl, "utf8"));
  it(`the README has its ${expectedCount} example(s), each with its output`, () => {
    expect(examples).toHaveLength(expectedCount);
  });
  examples.forEach((example, i) => {
    it(`README example ${i + 1} prints the output shown`, async () => {
      expect(await runExample(example.code, modules)).toBe(example.output);
    });
  });
}

readmeExamplesRun(new URL("../README.md", import.meta.url), { "@linkkit/symbol-resolver": resolver }, 2);
