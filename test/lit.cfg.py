# lit configuration for netc: FileCheck tests of the compiler, end-to-end
# tests that link generated objects into C programs, and PyTorch parity.
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "netc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.netc_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%netc_build", config.netc_obj_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["netc", "netc-opt", "netc-import", "split-file"],
    [config.netc_tools_dir, config.llvm_tools_dir])

# A C compiler and the flags that build a program against netc's runtime.
config.substitutions.append(("%cc", config.netc_cc))
config.substitutions.append(
    ("%netc_cflags", "-I{0}/include".format(config.netc_src_root)))
config.substitutions.append(
    ("%netc_ldflags",
     "-L{0} -lnetc_runtime -Wl,-rpath,{0} -L{1} -Wl,-rpath,{1} -lomp -lm"
     .format(config.netc_lib_dir, config.netc_openmp_lib_dir)))
config.substitutions.append(("%netc_src", config.netc_src_root))

# PyTorch parity tests run the Debian interpreter that sees python3-torch.
python = "/usr/bin/python3"
config.substitutions.append(("%python", python))
if os.path.exists(python) and os.system(
        python + " -c 'import torch, numpy' >/dev/null 2>&1") == 0:
    config.available_features.add("torch")

# Code generation differs on hosts with AVX-512 (netc compiles for the
# host's CPU).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            config.available_features.add("avx512")
except OSError:
    pass

# The build-graph checks read ninja's deps log.
if os.path.exists(os.path.join(config.netc_obj_root, "build.ninja")) and \
        shutil.which("ninja"):
    config.available_features.add("ninja")
