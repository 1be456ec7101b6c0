// The shape of what the resolver reports, and its text in lld's layout.
import type { InputId } from "./symbol-table.js";

export type Severity = "error" | "warning";

/** One place a symbol is referenced from. `where` is what the caller's `where` hook said (function or section). */
export interface ReferenceSite {
  readonly input: InputId;
  readonly inputName: string;
  readonly site: number;
  readonly where: string | undefined;
}

export interface DefinitionSite {
  readonly input: InputId;
  readonly inputName: string;
}

export interface UndefinedDiagnostic {
  readonly kind: "undefined";
  readonly severity: Severity;
  readonly symbol: string;
  readonly message: string;
  /** The references listed in the message (at most three). */
  readonly references: readonly ReferenceSite[];
  /** All references, listed or not. */
  readonly referenceCount: number;
}

export interface DuplicateDiagnostic {
  readonly kind: "duplicate";
  readonly severity: Severity;
  readonly symbol: string;
  readonly message: string;
  /** The winner first, then the conflicting definition. */
  readonly definitions: readonly [DefinitionSite, DefinitionSite];
  /** Set when the duplicate is a COMDAT group with selection NODUPLICATES. */
  readonly comdat: boolean;
}

export interface ComdatMismatchDiagnostic {
  readonly kind: "comdat-mismatch";
  readonly severity: Severity;
  /** The group's name. */
  readonly symbol: string;
  readonly message: string;
  /** The selection rule that failed ("SAME_SIZE", "EXACT_MATCH") or "selection" for conflicting selections. */
  readonly rule: string;
  readonly kept: DefinitionSite & { readonly size: number; readonly checksum: number; readonly selection: string };
  readonly discarded: DefinitionSite & { readonly size: number; readonly checksum: number; readonly selection: string };
}

export type Diagnostic = UndefinedDiagnostic | DuplicateDiagnostic | ComdatMismatchDiagnostic;

/** How many references an undefined-symbol message lists before "referenced N more times" (as lld). */
export const MAX_LISTED_REFERENCES = 3;

export function formatUndefined(severity: Severity, symbol: string, listed: readonly ReferenceSite[], total: number): string {
  const lines = [`${severity}: undefined symbol: ${symbol}`];
  for (const ref of listed) {
    lines.push(ref.where === undefined ? `>>> referenced by ${ref.inputName}` : `>>> referenced by ${ref.inputName}:(${ref.where})`);
  }
  if (total > listed.length) lines.push(`>>> referenced ${total - listed.length} more times`);
  return lines.join("\n");
}

export function formatDuplicate(severity: Severity, symbol: string, first: DefinitionSite, second: DefinitionSite): string {
  return `${severity}: duplicate symbol: ${symbol}\n>>> defined at ${first.inputName}\n>>> defined at ${second.inputName}`;
}

export function formatComdatMismatch(
  severity: Severity,
  group: string,
  rule: string,
  kept: ComdatMismatchDiagnostic["kept"],
  discarded: ComdatMismatchDiagnostic["discarded"],
): string {
  const describe = (site: ComdatMismatchDiagnostic["kept"]) =>
    rule === "selection"
      ? `selection ${site.selection}`
      : rule === "EXACT_MATCH"
        ? `size ${site.size}, checksum 0x${site.checksum.toString(16)}`
        : `size ${site.size}`;
  const what = rule === "selection" ? "conflicting COMDAT selections" : `COMDAT ${rule} mismatch`;
  return (
    `${severity}: ${what}: ${group}\n` +
    `>>> kept from ${kept.inputName} (${describe(kept)})\n` +
    `>>> discarded from ${discarded.inputName} (${describe(discarded)})`
  );
}
