# lit configuration for netc's GoogleTest unit tests (runtime, codegen): every
# TEST of every *Tests binary in the build's bin/ runs as a lit test, so
# `ninja check-netc` (and ctest's netc-lit) runs them with the rest.
import os

import lit.formats

config.name = "netc-unit"
config.suffixes = []
config.test_source_root = os.path.join(config.netc_obj_root, "bin")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
