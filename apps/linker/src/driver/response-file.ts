// Splits command lines the way the Windows C runtime does (lld-link reads response files and the
// LINK variable with these rules): whitespace separates, "..." groups, \" is a quote, 2n backslashes
// before a quote become n.

export function splitWindowsCommandLine(text: string): string[] {
  const args: string[] = [];
  let current = "";
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      let slashes = 0;
      while (text[i] === "\\") { slashes++; i++; }
      if (text[i] === '"') {
        current += "\\".repeat(slashes >> 1);
        if (slashes % 2 === 1) current += '"';
        else quoted = !quoted;
      } else {
        current += "\\".repeat(slashes);
        i--;
      }
      inArg = true;
      continue;
    }
    if (c === '"') {
      // "" inside quotes is a literal quote (MSVC runtime rule since 2008).
      if (quoted && text[i + 1] === '"') { current += '"'; i++; }
      else quoted = !quoted;
      inArg = true;
      continue;
    }
    if (!quoted && (c === " " || c === "\t" || c === "\n" || c === "\r")) {
      if (inArg) { args.push(current); current = ""; inArg = false; }
      continue;
    }
    current += c;
    inArg = true;
  }
  if (inArg) args.push(current);
  return args;
}

/** Expands `@file` arguments (recursively, guarding against cycles) with a caller-supplied reader. */
export function expandResponseFiles(args: readonly string[], readText: (path: string) => string, depth = 0): string[] {
  if (depth > 20) throw new Error("response files nest more than 20 deep (a cycle?)");
  const out: string[] = [];
  for (const arg of args) {
    if (arg.startsWith("@") && arg.length > 1) {
      out.push(...expandResponseFiles(splitWindowsCommandLine(stripBom(readText(arg.slice(1)))), readText, depth + 1));
    } else {
      out.push(arg);
    }
  }
  return out;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
