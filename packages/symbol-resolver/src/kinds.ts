// Decides which of two definitions of one name wins: the precedence of symbol kinds, as data.

/** A symbol kind, as stored in the resolver's typed columns. */
export const SymbolKind = {
  /** A reference with no definition (never a candidate; the state of a name nothing defines). */
  Undefined: 0,
  /** An archive member that would define the name if loaded. */
  Lazy: 1,
  /** The name falls back to another name unless something defines it (COFF weak external, `/alternatename`). */
  Alias: 2,
  /** A definition that yields to a strong one (ELF `STB_WEAK`). */
  Weak: 3,
  /** Tentative storage: largest size wins, alignment is the maximum. */
  Common: 4,
  /** A regular definition: a section (or atom) index and a value. */
  Defined: 5,
  /** A value with no section. */
  Absolute: 6,
  /** Defined by the linker itself (`__ImageBase`, `__CTOR_LIST__`, `_end`). */
  Synthetic: 7,
} as const;
export type SymbolKind = (typeof SymbolKind)[keyof typeof SymbolKind];

export type SymbolKindName =
  | "undefined"
  | "lazy"
  | "alias"
  | "weak"
  | "common"
  | "defined"
  | "absolute"
  | "synthetic";

/** What happens when two candidates of equal rank meet. */
export type TieRule =
  /** Never a candidate: nothing to break. */
  | "none"
  /** The input registered first (lowest `InputId`) wins, silently. */
  | "lowest-input"
  /** Common symbols merge: the largest size wins (then the lowest input), alignment is the maximum. */
  | "largest-size"
  /** Both are strong: the lowest input stays the winner and the pair is a duplicate-symbol diagnostic. */
  | "duplicate";

export interface PrecedenceRow {
  readonly kind: SymbolKindName;
  /** Higher rank wins. */
  readonly rank: number;
  /** Applies when both candidates have this rank (kinds of one rank share their rule). */
  readonly tie: TieRule;
  readonly why: string;
}

/**
 * The precedence table, indexed by `SymbolKind`. A candidate of higher rank always wins; equal ranks
 * use `tie`. Lazy loading is decided separately (see `SymbolTable.takeLoadRequests`): a lazy candidate
 * is loaded only while nothing of definition rank (weak and up) exists and something demands the name,
 * so it never overrides a definition.
 */
export const PRECEDENCE: readonly PrecedenceRow[] = [
  { kind: "undefined", rank: 0, tie: "none", why: "a reference alone defines nothing" },
  { kind: "lazy", rank: 1, tie: "lowest-input", why: "an unloaded archive member only promises a definition" },
  { kind: "alias", rank: 2, tie: "lowest-input", why: "the fallback name is used only when nothing defines the name itself" },
  { kind: "weak", rank: 3, tie: "lowest-input", why: "a weak definition yields to common and strong ones (lld ELF: common replaces weak)" },
  { kind: "common", rank: 4, tie: "largest-size", why: "tentative: any real definition replaces it" },
  { kind: "defined", rank: 5, tie: "duplicate", why: "strong" },
  { kind: "absolute", rank: 5, tie: "duplicate", why: "strong" },
  { kind: "synthetic", rank: 5, tie: "duplicate", why: "strong: a user definition of a linker-defined name is a duplicate" },
];

export const SYMBOL_KIND_NAMES: readonly SymbolKindName[] = PRECEDENCE.map((row) => row.kind);

/** Ranks and tie rules as typed arrays for the hot path. */
export const KIND_RANK: Uint8Array = Uint8Array.from(PRECEDENCE, (row) => row.rank);
export const TIE_LOWEST_INPUT = 1;
export const TIE_LARGEST_SIZE = 2;
export const TIE_DUPLICATE = 3;
export const KIND_TIE: Uint8Array = Uint8Array.from(PRECEDENCE, (row) =>
  row.tie === "lowest-input" ? TIE_LOWEST_INPUT : row.tie === "largest-size" ? TIE_LARGEST_SIZE : row.tie === "duplicate" ? TIE_DUPLICATE : 0,
);
/** Rank from which a candidate is a definition (satisfies references, stops lazy loading). */
export const DEFINITION_RANK = KIND_RANK[SymbolKind.Weak] as number;
export const STRONG_RANK = KIND_RANK[SymbolKind.Defined] as number;

export function kindName(kind: number): SymbolKindName {
  const name = SYMBOL_KIND_NAMES[kind];
  if (name === undefined) throw new TypeError(`unknown symbol kind ${kind}`);
  return name;
}

/** COMDAT selection: how one instance of a group is chosen among the inputs that have it. */
export const ComdatSelection = {
  /** Only one input may have the group; a second is a duplicate-symbol error. */
  NoDuplicates: 1,
  /** Any instance; the resolver keeps the lowest `InputId`'s. */
  Any: 2,
  /** Any instance, but all must have the same size. */
  SameSize: 3,
  /** Any instance, but all must have the same size and checksum. */
  ExactMatch: 4,
  /** Not a group of its own: a section kept or discarded with its leader (`addAssociative`). */
  Associative: 5,
  /** The largest instance (then the lowest `InputId`). */
  Largest: 6,
} as const;
export type ComdatSelection = (typeof ComdatSelection)[keyof typeof ComdatSelection];

export const COMDAT_SELECTION_NAMES: Readonly<Record<ComdatSelection, string>> = {
  1: "NODUPLICATES",
  2: "ANY",
  3: "SAME_SIZE",
  4: "EXACT_MATCH",
  5: "ASSOCIATIVE",
  6: "LARGEST",
};

/** Reference flags (`SymbolTable.reference`). */
export const RefFlags = {
  None: 0,
  /** The reference may stay unresolved (ELF weak undefined): no error, resolves to nothing. */
  Weak: 1,
  /** The reference does not load archive members (ELF weak undefined, COFF "no library" search). */
  NoLoad: 2,
} as const;
