#!/bin/sh
# Regenerates the bundled sample inputs (needs clang, llvm-dlltool and lld-link).
set -e
cd "$(dirname "$0")"
clang --target=x86_64-pc-windows-msvc -O1 -c hello.c -o hello.obj
clang --target=x86_64-pc-windows-msvc -O1 -c util.c -o util.obj
llvm-dlltool -d kernel32.def -l kernel32.lib -m i386:x86-64
# The reference image, linked by lld-link from the same inputs.
lld-link /nologo /entry:mainCRTStartup /subsystem:console /out:hello-lld.exe hello.obj util.obj kernel32.lib
