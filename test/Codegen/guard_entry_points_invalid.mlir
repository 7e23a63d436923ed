// RUN: netc-opt %s --netc-guard-entry-points --verify-diagnostics --split-input-file

// expected-error @+1 {{not an entry point of the C ABI: "predict"}}
func.func @net_predict(%params: memref<f32>, %batch: i64)
    attributes {netc.entry_point = "predict"} {
  return
}

// -----

// expected-error @+1 {{has 2 arguments; the C ABI's "forward" takes 4}}
func.func @net_forward(%params: memref<f32>, %batch: i64)
    attributes {netc.entry_point = "forward"} {
  return
}
