//===- Passes.td - netc code generation passes -------------*- tablegen -*-===//
#ifndef NETC_CODEGEN_PASSES_TD
#define NETC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def NetcExportEntryPoints : Pass<"netc-export-entry-points", "ModuleOp"> {
  let summary = "Wrap each model in C-callable entry points";
  let description = [{
    For every `func.func` marked `netc.model`, adds the public function
    `@<name>_forward(%params, %input, %output : memref<f32>, %batch : i64)`
    that the generated C header declares as

    ```c
    void <name>_forward(const float *params, const float *input,
                        float *output, int64_t batch);
    ```

    The three pointers are reinterpreted as the parameter buffer (every
    parameter packed in declaration order, see ParameterLayout.h), the
    `(batch, ...)` input and the `(batch, ...)` output; the model is called on
    tensors and its result materialized into the output buffer. The model
    function becomes private so that it is inlined and dropped. Rank-0
    memrefs keep the bare-pointer calling convention applicable.

    Where netc-autodiff has built a model's training function, the pass also
    adds `<name>_backward`, `<name>_sgd_step` and `<name>_adam_step` (their C
    signatures are in netc.h): the training function called on the caller's
    buffers, then the gradients written out, or each parameter updated in
    place by `netc.sgd_update` / `netc.adam_update` (running statistics take
    their new values).

    ```mlir
    func.func @net_forward(%p: memref<f32>, %x: memref<f32>, %y: memref<f32>, %n: i64) {
      %pm = memref.reinterpret_cast %p to offset: [0], sizes: [260], strides: [1]
      ...
      %r = call @net(%xt, %w, %b) : (...) -> tensor<?x10xf32>
      bufferization.materialize_in_destination %r in restrict writable %ym
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def NetcLowerStridedCopies : Pass<"netc-lower-strided-copies", "func::FuncOp"> {
  let summary = "Turn memref.copy between strided views into linalg.copy";
  let description = [{
    Bufferization copies between subviews with `memref.copy`. LLVM lowering
    turns a copy of contiguous memory into `llvm.memcpy`, but one between
    strided views into a call to `memrefCopy` from MLIR's runner library,
    which a program linking netc's object does not have. This pass rewrites
    those copies into `linalg.copy`, which becomes plain loops; contiguous
    copies are left for memcpy.

    ```mlir
    memref.copy %a, %b : memref<?x4x4xf32, strided<[36, 6, 1], offset: 7>> to ...
    // becomes
    linalg.copy ins(%a : ...) outs(%b : ...)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // NETC_CODEGEN_PASSES_TD
