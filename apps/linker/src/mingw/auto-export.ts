// `--export-all-symbols` (GNU ld's default for a DLL that exports nothing explicitly): every global
// definition of the DLL's own objects, except the runtime's and the names that only make sense inside
// one image. The exclusion lists follow GNU ld's documented defaults (ld's manual, "--export-all-symbols").
import { IMAGE_SCN, IMAGE_SYM_CLASS } from "@linkkit/coff-format";
import type { InputLoader } from "../inputs/loader.js";
import type { ExportSpec, MingwOptions } from "../options.js";

const excludedLibraries = new Set([
  "libgcc", "libgcc_eh", "libgcc_s", "libstdc++", "libsupc++", "libmingw32", "libmingwex", "libmingwthrd", "libmsvcrt",
  "libucrt", "libucrtbase", "libcygwin", "libc++", "libc++abi", "libunwind", "libobjc", "libg2c", "libgcj", "libssp",
  "libssp_nonshared", "libpthread", "libwinpthread", "libmoldname", "libkernel32", "libuser32", "libadvapi32", "libshell32",
]);

const excludedObjects = new Set([
  "crt0.o", "crt1.o", "crt1u.o", "crt2.o", "crt2u.o", "dllcrt1.o", "dllcrt2.o", "gcrt0.o", "gcrt1.o", "gcrt2.o",
  "crtbegin.o", "crtend.o",
]);

const excludedNames = new Set([
  "__NULL_IMPORT_DESCRIPTOR", "_pei386_runtime_relocator", "do_pseudo_reloc", "impure_ptr", "_impure_ptr", "_fmode",
  "environ", "__dso_handle", "DllMain", "DllEntryPoint", "DllMainCRTStartup", "_DllMainCRTStartup", "__ImageBase",
  "_DllMain@12", "_DllEntryPoint@12", "_DllMainCRTStartup@12", "__DllMainCRTStartup@12", "___ImageBase",
]);

const excludedPrefixes = ["__rtti_", "__builtin_", "_head_", "__imp_", "_nm_", ".refptr.", "__real_", "__wrap_", "__CTOR_LIST__", "__DTOR_LIST__"];
const excludedSuffixes = ["_iname", "_NULL_THUNK_DATA"];

/** The library an archive member came from (`libfoo` for `/x/libfoo.dll.a(m.o)`), or undefined for a plain object. */
function libraryOf(name: string): string | undefined {
  const open = name.lastIndexOf("(");
  if (open <= 0 || !name.endsWith(")")) return undefined;
  return name.slice(0, open).replace(/^.*[\\/]/, "").replace(/(\.dll)?\.(a|lib)$/i, "");
}

export function autoExportSpecs(loader: InputLoader, mingw: MingwOptions): ExportSpec[] {
  const symbols = loader.symbols;
  const x86 = loader.currentMachine === "x86";
  const excludeSymbols = new Set(mingw.excludeSymbols);
  const excludeAllLibs = mingw.excludeLibs.includes("ALL");
  const excludeLibs = new Set(mingw.excludeLibs.map((l) => l.replace(/(\.dll)?\.(a|lib)$/i, "")));
  const specs: ExportSpec[] = [];
  const seen = new Set<string>();
  for (const file of loader.objects) {
    const library = libraryOf(file.name);
    if (library !== undefined && (excludeAllLibs || excludedLibraries.has(library) || excludeLibs.has(library))) continue;
    const base = (library === undefined ? file.name : file.name.slice(file.name.lastIndexOf("(") + 1, -1)).replace(/^.*[\\/]/, "");
    if (excludedObjects.has(base)) continue;
    const coff = file.coff;
    for (let i = 0; i < file.symbolCount; i += 1 + coff.symbolAuxCount(i)) {
      if (coff.symbolStorageClass(i) !== IMAGE_SYM_CLASS.EXTERNAL) continue;
      const section = coff.symbolSectionNumber(i);
      if (section <= 0) continue;
      const id = file.symbolIds[i]!;
      if (id < 0 || symbols.winnerInput(id) !== file.input) continue;
      const name = coff.symbolName(i);
      if (seen.has(name) || excludedNames.has(name)) continue;
      const cName = x86 && name.startsWith("_") ? name.slice(1) : name;
      if (excludeSymbols.has(cName) || excludedNames.has(cName)) continue;
      if (excludedPrefixes.some((p) => cName.startsWith(p) || name.startsWith(p))) continue;
      if (excludedSuffixes.some((s) => name.endsWith(s))) continue;
      seen.add(name);
      const isCode = (coff.sectionCharacteristics(section - 1) & IMAGE_SCN.CNT_CODE) !== 0;
      specs.push({ name: cName, internalName: name, data: !isCode, origin: "--export-all-symbols" });
    }
  }
  return specs;
}
