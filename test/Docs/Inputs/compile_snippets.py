"""Compiles every C snippet (```c blocks) of the given Markdown files.

Each snippet is the body of `int main(void)` in a program that includes the
header of the model `m` (docs/runtime.md states the convention); it must
compile as C99 with -Wall -Wextra -pedantic -Werror and link with m's object
and the runtime. Prints one line per snippet and a count.
"""
import argparse
import os
import re
import subprocess
import sys

PRELUDE = """#include "m.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
"""

parser = argparse.ArgumentParser()
parser.add_argument("--cc", required=True)
parser.add_argument("--cflags", required=True)
parser.add_argument("--ldflags", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--object", required=True)
parser.add_argument("docs", nargs="+")
args = parser.parse_args()

failures = count = 0
for doc in args.docs:
    text = open(doc).read()
    for match in re.finditer(r"^```c\n(.*?)^```", text, re.M | re.S):
        count += 1
        line = text.count("\n", 0, match.start()) + 1
        name = "%s:%d" % (os.path.basename(doc), line)
        source = os.path.join(args.work, "snippet%d.c" % count)
        with open(source, "w") as f:
            f.write(PRELUDE + match.group(1) + "  return 0;\n}\n")
        command = ([args.cc, "-std=c99", "-Wall", "-Wextra", "-pedantic",
                    "-Werror", "-I" + args.work] + args.cflags.split() +
                   [source, args.object, "-o", source[:-2]] +
                   args.ldflags.split())
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            failures += 1
            print("FAIL: %s\n%s" % (name, result.stderr))
        else:
            print("ok: %s" % name)
print("%d of %d snippets compile" % (count - failures, count))
sys.exit(1 if failures else 0)
