"""Reports how the CPU code-generation stage left each kernel.

Usage: kernel_report.py <kernels.mlir> <codegen.mlir>

kernels.mlir is a module after netc-kernels-pipeline, codegen.mlir the same
module after netc-cpu-codegen-pipeline. For each kernel function it prints
its root op (the last linalg op of the kernel, a generic described by its
iterator types and the shapes it reads and writes) and what code generation
made of it: `vector` when the kernel's compute op became vector code,
`loops` when a linalg op that computes is still there for the loop lowering
(fills, copies, broadcasts and transposes are not counted: they become
memset-like loops whatever the strategy; a convolution vectorized along
its filters transposes its weights so). One line per distinct (result,
root), with a count, sorted: the kernels left to loops first.
"""
import collections
import re
import sys

KERNEL = re.compile(r"^  func\.func private @(\w+_kernel\d+)\(", re.M)
LINALG = re.compile(r"\blinalg\.([a-z_0-9]+)")
NOT_COMPUTE = {"yield", "index", "fill", "copy", "broadcast", "transpose"}


def functions(text):
    """Kernel name -> body text."""
    starts = [(m.group(1), m.start()) for m in KERNEL.finditer(text)]
    bodies = {}
    for i, (name, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        body = text[start:end]
        # A kernel ends where the next top-level function starts.
        nxt = re.search(r"^  func\.func ", body[1:], re.M)
        bodies[name] = body[: nxt.start() + 1] if nxt else body
    return bodies


def root(body):
    """The last computing linalg op of a kernel, described."""
    ops = [(m.group(1), m.start()) for m in LINALG.finditer(body)
           if m.group(1) not in NOT_COMPUTE]
    if not ops:
        return None
    name, at = ops[-1]
    line = body[at:body.index("\n", at)]
    if name == "generic":
        iterators = re.search(r"iterator_types = \[([^\]]*)\]", line)
        kinds = [k.strip().strip('"') for k in iterators.group(1).split(",")
                 if k.strip()] if iterators else []
        reductions = kinds.count("reduction")
        name = f"generic({len(kinds)} loops, {reductions} reduced)"
    types = re.findall(r"tensor<([^>]*)>", line)
    return f"{name} {' '.join(types)}"


def main():
    kernels = functions(open(sys.argv[1]).read())
    generated = functions(open(sys.argv[2]).read())
    counts = collections.Counter()
    for name, body in kernels.items():
        description = root(body)
        if description is None:
            continue
        after = generated.get(name, "")
        left = [m.group(1) for m in LINALG.finditer(after)
                if m.group(1) not in NOT_COMPUTE]
        counts[("loops" if left else "vector", description)] += 1
    for (result, description), count in sorted(counts.items()):
        print(f"{result}: {description} (x{count})")


if __name__ == "__main__":
    main()
