export { Layout } from "./layout.js";
export type { ResolvedOptions } from "./layout.js";
export { FileSpace } from "./file-space.js";
export type { FileRange } from "./file-space.js";
export * from "./errors.js";
export type * from "./types.js";
