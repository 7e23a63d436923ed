"""Checks that the build declares every generated header it uses.

A source that includes a generated header (tablegen's .inc files, the copy
of netc.h) compiles only if the build graph orders the header's generation
before it; otherwise a clean build of that one object fails ("Passes.h.inc:
No such file") while a full build happens to pass. For every object file,
the headers its last compile read (ninja's deps log) that live in the build
tree must appear among the object's inputs in ninja's build graph.
"""
import os
import re
import subprocess
import sys


def ninja(build, *args):
    return subprocess.run(["ninja", "-C", build, *args], check=True,
                          capture_output=True, text=True).stdout


def generated_deps(build):
    """{object: [generated headers it read]} from the deps log."""
    result, target = {}, None
    for line in ninja(build, "-t", "deps").splitlines():
        if line and not line.startswith(" "):
            target = line.split(":")[0]
            result[target] = []
        elif line.strip() and target:
            path = os.path.normpath(os.path.join(build, line.strip()))
            if path.startswith(build + os.sep) and path.endswith((".inc", ".h")):
                result[target].append(os.path.relpath(path, build))
    return {t: deps for t, deps in result.items() if deps}


def graph_nodes(build, target):
    """The paths of every node in `target`'s build graph."""
    dot = ninja(build, "-t", "graph", target)
    labels = re.findall(r'label="([^"]*)"', dot)
    return {os.path.relpath(os.path.normpath(os.path.join(build, label)), build)
            for label in labels}


def main():
    build = os.path.abspath(sys.argv[1])
    objects = generated_deps(build)
    if not objects:
        print("no deps log: build first")
        return 1
    undeclared = 0
    for target, headers in sorted(objects.items()):
        nodes = graph_nodes(build, target)
        for header in headers:
            if header not in nodes:
                undeclared += 1
                print("UNDECLARED: %s includes %s, which its build does not "
                      "generate first" % (target, header))
    print("%d objects checked, %d undeclared generated headers"
          % (len(objects), undeclared))
    return 1 if undeclared else 0


if __name__ == "__main__":
    sys.exit(main())
