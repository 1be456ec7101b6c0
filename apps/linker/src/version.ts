/** Written into incremental state so that another linkkit version never trusts it. */
export const LINKKIT_VERSION = "0.1.0";
