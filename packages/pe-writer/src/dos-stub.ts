// The MS-DOS header and stub program that open every PE image; PE headers follow at `e_lfanew`.
import { IMAGE_DOS_SIGNATURE, ImageDosHeader, writeStruct } from "@linkkit/coff-format";

/**
 * A 16-bit real-mode program that prints a message and exits with 1, for when the image is run under DOS.
 * Regenerate by assembling (nasm -fbin) and dumping (xxd -i):
 *
 *     org 0
 *     push cs          ; 0e        ds = cs, so ds:dx can address the string
 *     pop ds           ; 1f
 *     mov dx, msg      ; ba 0e 00
 *     mov ah, 9        ; b4 09     int 21h/09h: write a '$'-terminated string
 *     int 0x21         ; cd 21
 *     mov ax, 0x4c01   ; b8 01 4c  int 21h/4Ch: exit with code 1
 *     int 0x21         ; cd 21
 *     msg: db 'This program cannot be run in DOS mode.$'
 */
const DOS_PROGRAM_CODE = [0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21];
const DOS_PROGRAM_MESSAGE = "This program cannot be run in DOS mode.$";

/** Size of the stub program area after the 64-byte DOS header; keeps `e_lfanew` 8-aligned. */
const DOS_PROGRAM_AREA = 64;

/** Bytes from the start of the file to the PE signature (`e_lfanew`). */
export const DOS_STUB_SIZE = ImageDosHeader.size + DOS_PROGRAM_AREA;

/** Writes the DOS header and stub program into `target[0, DOS_STUB_SIZE)`. */
export function writeDosStub(target: Uint8Array): void {
  writeStruct(target, ImageDosHeader, 0, {
    e_magic: IMAGE_DOS_SIGNATURE,
    // A DOS loader reads the file size from these two: whole 512-byte pages and the bytes used in the last one.
    e_cblp: DOS_STUB_SIZE % 512,
    e_cp: Math.ceil(DOS_STUB_SIZE / 512),
    e_cparhdr: ImageDosHeader.size / 16,
    e_lfarlc: ImageDosHeader.size,
    e_lfanew: DOS_STUB_SIZE,
  });
  const program = target.subarray(ImageDosHeader.size, DOS_STUB_SIZE);
  program.fill(0);
  program.set(DOS_PROGRAM_CODE, 0);
  for (let i = 0; i < DOS_PROGRAM_MESSAGE.length; i++) {
    program[DOS_PROGRAM_CODE.length + i] = DOS_PROGRAM_MESSAGE.charCodeAt(i);
  }
}
