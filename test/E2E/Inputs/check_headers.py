"""Compiles every model's generated header as C99 and as C++17 under gcc and
clang with -Wall -Wextra -pedantic -Werror, links each program with the
model's object and the runtime, and runs it: a forward pass, one SGD step
through netc_trainer_create with the header's <name>_entry_points, and the
header's own example compiled as written.

usage: check_headers.py --netc NETC --cflags F --ldflags F --work DIR MODEL...
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

COMPILERS = [("gcc", "-std=c99"), ("g++", "-std=c++17"),
             ("clang-22", "-std=c99"), ("clang++-22", "-std=c++17")]
WARNINGS = ["-Wall", "-Wextra", "-pedantic", "-Werror"]

PROGRAM = """\
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "{name}.h"

/* The header's example, as its comment writes it. */
static int example(void) {{
{example}
  return 0;
}}

int main(int argc, char **argv) {{
  const int64_t batch = 2;
  float *params = {name}_params_create();
  float *input = (float *)calloc(batch * {macro}_INPUT_FLOATS, sizeof(float));
  float *output = (float *)calloc(batch * {macro}_OUTPUT_FLOATS, sizeof(float));
  {target_type} *target = ({target_type} *)calloc(batch * {target_floats}, sizeof({target_type}));
  netc_trainer *trainer = NULL;
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  float loss = 0;
  int64_t i;
  (void)argv;
  if (argc > 99)
    return example();
  if (!params || !input || !output || !target ||
      netc_params_init(&{name}_info, 1, params) != NETC_OK) {{
    fprintf(stderr, "setup: %s\\n", netc_last_error());
    return 1;
  }}
  for (i = 0; i < batch * {macro}_INPUT_FLOATS; ++i)
    input[i] = (float)(i % 7) / 7.0f;
  {name}_forward(params, input, output, batch);
  for (i = 0; i < batch * {macro}_OUTPUT_FLOATS; ++i)
    if (!isfinite(output[i])) {{
      fprintf(stderr, "output %d is not finite\\n", (int)i);
      return 1;
    }}
  if (netc_trainer_create(&{name}_info, &{name}_entry_points, &options, 1,
                          &trainer) != NETC_OK ||
      netc_trainer_step(trainer, input, target, batch, &loss) != NETC_OK) {{
    fprintf(stderr, "training: %s\\n", netc_last_error());
    return 1;
  }}
  printf("{name}: output[0] %g, loss %g\\n", output[0], loss);
  netc_trainer_free(trainer);
  free(target);
  free(output);
  free(input);
  {name}_params_free(params);
  return 0;
}}
"""


def header_example(header):
    """The code lines of the header's "Example:" comment block."""
    lines = header.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith(" * Example"))
    code = []
    for line in lines[start + 1:]:
        if not line.startswith(" *") or line.startswith(" */"):
            break
        code.append(line[2:])
    return "\n".join(code)


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise RuntimeError("$ %s\n%s%s" % (" ".join(map(shlex.quote, command)),
                                          result.stdout, result.stderr))
    return result.stdout


def check_model(args, path):
    model = json.load(open(path))
    name = model["name"]
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    header, obj = os.path.join(work, name + ".h"), os.path.join(work, name + ".o")
    run([args.netc, "compile", path, "--emit=header", "-o", header])
    run([args.netc, "compile", path, "-o", obj])
    text = open(header).read()
    classification = "const int32_t *labels" in text
    source = os.path.join(work, "main.c")
    with open(source, "w") as f:
        f.write(PROGRAM.format(
            name=name, macro=name.upper(), example=header_example(text),
            target_type="int32_t" if classification else "float",
            target_floats="1" if classification
            else name.upper() + "_OUTPUT_FLOATS"))
    outputs = []
    for compiler, standard in COMPILERS:
        program = os.path.join(work, "main-" + compiler)
        language = ["-x", "c++"] if "++" in compiler else []
        run([compiler, standard, *WARNINGS, *shlex.split(args.cflags),
             "-I", work, *language, source, "-x", "none", obj,
             *shlex.split(args.ldflags), "-o", program])
        outputs.append(run([program]).strip())
    print("%s with %s" % (outputs[0],
                              ", ".join(c + " " + s for c, s in COMPILERS)))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--netc", required=True)
    parser.add_argument("--cflags", required=True)
    parser.add_argument("--ldflags", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    missing = [c for c, _ in COMPILERS if not shutil.which(c)]
    if missing:
        print("FAIL: compilers not found: " + ", ".join(missing))
        return 1
    failures = 0
    for path in args.models:
        try:
            check_model(args, path)
        except RuntimeError as error:
            failures += 1
            print("FAIL: %s\n%s" % (path, error))
    print("%d of %d headers compile, link and run" %
          (len(args.models) - failures, len(args.models)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
