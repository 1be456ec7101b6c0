export { LinkError, InternalError } from "./errors.js";
export type { LinkOptions, ExportSpec, Machine, Subsystem } from "./options.js";
export { defaultLinkOptions } from "./options.js";
export { parseLldLinkArgs } from "./driver/lld-link-args.js";
export type { CommandLineHost } from "./driver/lld-link-args.js";
