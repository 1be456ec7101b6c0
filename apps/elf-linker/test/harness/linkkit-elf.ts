// Runs linkkit-elf in-process, as the command would, capturing what it prints to stderr.
import { runLinkkitElf } from "../../src/index.js";

export function linkkitElf(args: readonly string[]): { status: number; stderr: string } {
  let stderr = "";
  const status = runLinkkitElf(args, () => {}, (s) => (stderr += s));
  return { status, stderr };
}
