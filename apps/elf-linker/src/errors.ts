// The errors a user can cause, each naming the file and what was expected; and the linker's own bugs.

/** Malformed input: which file, at which byte offset, what was wrong. */
export class ElfFormatError extends Error {
  override readonly name = "ElfFormatError";
  constructor(readonly file: string, readonly offset: number, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail} (at offset 0x${offset.toString(16)})`, options);
  }
}

/** One or more link errors (undefined symbols, relocation ranges, bad options), reported together in lld's words. */
export class ElfLinkError extends Error {
  override readonly name = "ElfLinkError";
  readonly messages: readonly string[];
  constructor(messages: string | readonly string[], options?: { cause?: unknown }) {
    const list = typeof messages === "string" ? [messages] : messages;
    super(list.map((m) => (m.startsWith("error: ") ? m : `error: ${m}`)).join("\n"), options);
    this.messages = list;
  }
}

/** A bug in linkkit-elf itself, never the user's input. */
export class InternalError extends Error {
  override readonly name = "InternalError";
}
