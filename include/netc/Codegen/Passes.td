//===- Passes.td - netc code generation passes -------------*- tablegen -*-===//
#ifndef NETC_CODEGEN_PASSES_TD
#define NETC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def NetcExportEntryPoints : Pass<"netc-export-entry-points", "ModuleOp"> {
  let summary = "Wrap each model in C-callable entry points";
  let description = [{
    For every `func.func` marked `netc.model`, adds the function
    `@<name>_forward(%params, %input, %output : memref<f32>, %batch : i64)`
    (its arguments as EntryPointABI.h lists them; marked `netc.entry_point`
    for netc-guard-entry-points, which exports it returning a status) that
    the generated C header declares as

    ```c
    int <name>_forward(const float *params, const float *input,
                       float *output, int64_t batch);
    ```

    It splits the batch into ranges of samples (at least one per thread,
    `omp_get_max_threads()`, and at most 16 samples each) in an
    `scf.forall`, and calls `@<name>_forward_samples(%params, %input,
    %output, %count : i64, %first : i64)` on each: every layer computes
    each sample on its own, so the threads run the whole forward pass on
    their ranges without waiting for each other between layers. That
    function reinterprets the three pointers as the parameter buffer (every
    parameter packed in declaration order, see ParameterLayout.h), the
    `(count, ...)` input and the `(count, ...)` output from sample `first`
    on; the model is called on tensors and its result materialized into the
    output buffer. The model function becomes private so that it is
    inlined and dropped. Rank-0 memrefs keep the bare-pointer calling
    convention applicable.

    Where netc-autodiff has built a model's training function, the pass
    turns it into `<name>_gradients`, the same ops in destination-passing
    style on the packed parameters (each gradient inserted into the packed
    gradients right after the op that computes it; what only the input
    gradient needs under an `scf.if` on a flag), and adds `<name>_backward`,
    `<name>_sgd_step` and `<name>_adam_step` (their C signatures are in
    netc.h). Each cuts its batch into ranges of at most 16 samples (as many
    as their gradients fit in 64 MiB; one range where the samples are not
    independent: batch statistics, dropout) that the threads share out in
    an `scf.forall`, and calls `<name>_gradients_samples` (or
    `..._with_input_grad`, where the input gradient is asked for) on each:
    it views the range's samples, calls `<name>_gradients` (`no_inline`:
    the entry points share one copy of the forward and backward passes) and
    writes the range's gradients and loss into its slot of two arrays. The
    slots are summed in range order, each weighted by its share of the
    batch where the loss is a mean (so the result depends on the batch
    size, never on the thread count). Then the entry point writes the
    gradients out, or updates the parameters in place by one
    `netc.sgd_update` / `netc.adam_update` per run of trained parameters
    (with their alignment padding; running statistics take their new
    values).

    ```mlir
    func.func private @net_forward_samples(%p: memref<f32>, %x: memref<f32>, %y: memref<f32>,
                                           %n: i64, %first: i64) {
      %pm = memref.reinterpret_cast %p to offset: [0], sizes: [260], strides: [1]
      ...
      %r = call @net(%xt, %w, %b) : (...) -> tensor<?x10xf32>
      bufferization.materialize_in_destination %r in restrict writable %ym
      return
    }
    func.func @net_forward(%p: memref<f32>, %x: memref<f32>, %y: memref<f32>, %n: i64) {
      ...
      scf.forall (%t) in (%ranges) {
        ...
        func.call @net_forward_samples(%p, %x, %y, %count, %first) {no_inline} : ...
      }
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def NetcOutlineKernels : Pass<"netc-outline-kernels", "ModuleOp"> {
  let summary = "Move each linalg op into a kernel function of its own";
  let description = [{
    The unit of code generation. Every linalg op on tensors (the root)
    becomes a private function marked `netc.kernel`, called where the op
    was, together with:
    - the linalg ops that only produce its destinations (fills, bias
      broadcasts), which tiling fuses into the root's tiles;
    - the `tensor.insert_slice` that places its single result into a larger
      tensor (a concatenation, the flat gradient), possibly through a
      reshape; the root then writes into that slice rather than into the
      empty tensor its destination started from, so the kernel writes in
      place without a temporary;
    - for a padding (a copy into the interior of a filled tensor, then
      inserted back), the fill and the interior's slice: one kernel makes
      the padded tensor;
    - clones of the views its operands are read through (`extract_slice`,
      `expand_shape`, `collapse_shape`) and of the constants it uses.

    A fill that is the destination of several ops (CSE merges equal fills)
    is cloned for each, so that none copies another's filled buffer.

    Every tensor a kernel takes is therefore a whole buffer: bufferized with
    identity layouts at function boundaries, calls need no copies. The
    static offsets of the views become `index` arguments, so that kernels
    that differ only in where they read or write (each layer's slice of the
    parameters) are the same function for netc-deduplicate-kernels. Kernels
    are `passthrough = ["noinline"]`, so LLVM compiles each one once.

    ```mlir
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x8xf32>) -> ...
    %w = tensor.extract_slice %params[16] [32] [1] : ...
    %r = linalg.matmul ins(%x, %w2d ...) outs(%f ...) -> tensor<?x8xf32>
    // becomes
    %c16 = arith.constant 16 : index
    %r = call @net_forward_kernel0(%params, %c16, %x, %e) : ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def NetcDeduplicateKernels : Pass<"netc-deduplicate-kernels", "ModuleOp"> {
  let summary = "Call one kernel function for all identical kernels";
  let description = [{
    Kernels (functions marked `netc.kernel`) with the same signature,
    attributes and body (OperationEquivalence, locations aside; found
    through a hash of their ops) compute the same thing: all calls go to the
    first and the others are erased. A chain of identical layers, and the forward and
    backward passes repeated in each training step, then cost code
    generation and LLVM one kernel each; compile time follows the number of
    distinct layers rather than the number of layers.
  }];
}

def NetcFreeTemporaries : Pass<"netc-free-temporaries", "func::FuncOp"> {
  let summary = "Free every buffer a function allocates after its last use";
  let description = [{
    After bufferization an entry point's temporaries are `memref.alloc`s
    that never leave it: the results are written into the caller's buffers.
    This pass frees each one right after the last use of the buffer or of
    any view of it (`subview`, `expand_shape`, `reinterpret_cast`, ...),
    found at the level of the allocation's block, so that peak memory
    follows the live layers. Its cost is linear in the IR, where upstream's
    ownership-based deallocation simplifies its `bufferization.dealloc`s by
    comparing every pair of buffers (a minute for 4,000 layers).

    A buffer the function returns is left to its caller (one-shot
    bufferization's convention for results); a callee only borrows its
    operands. A call that returns a buffer is an error, since which of its
    operands the result keeps alive is unknown (bufferized kernels return
    nothing). A buffer that leaves its block otherwise (yielded out of a
    region, or read by an op that yields a memref without being a view) is an
    error: netc's entry points never produce one.

    ```mlir
    %a = memref.alloc(%n) : memref<?x4xf32>
    %v = memref.collapse_shape %a [[0, 1]] : ...
    linalg.generic ... ins(%v ...) outs(%out ...)   // the last use
    // gains
    memref.dealloc %a : memref<?x4xf32>
    ```
  }];
  let dependentDialects = ["memref::MemRefDialect"];
}

def NetcUnshareEmptyTensors
    : Pass<"netc-unshare-empty-tensors", "func::FuncOp"> {
  let summary = "Bound how many ops share one tensor.empty";
  let description = [{
    CSE merges identical `tensor.empty` ops, so that one empty tensor ends up
    as the destination of every elementwise op of its shape. Sharing it lets
    one-shot bufferization reuse a buffer along a chain of layers, but the
    analysis weighs each write to it against all the others, a cost that
    grows with the cube of the number of sharers (a chain of 1,000 relus
    took a minute to bufferize). This pass gives each run of
    `uses-per-empty-tensor` consecutive users (in program order) an empty
    tensor of its own: buffers are still reused within a run, and the
    analysis stays linear in the number of layers.

    ```mlir
    %e = tensor.empty(%n) : tensor<?x4xf32>
    %1 = linalg.generic ... outs(%e : tensor<?x4xf32>)   // users 0..7
    ...
    %9 = linalg.generic ... outs(%e : tensor<?x4xf32>)   // user 8
    // becomes
    %e1 = tensor.empty(%n) : tensor<?x4xf32>
    %9 = linalg.generic ... outs(%e1 : tensor<?x4xf32>)  // users 8..15
    ```
  }];
  let options = [
    Option<"usesPerEmptyTensor", "uses-per-empty-tensor", "unsigned", "8",
           "Users that share one empty tensor at most">,
  ];
}

def NetcPlanBuffers : Pass<"netc-plan-buffers", "func::FuncOp"> {
  let summary = "Place a function's temporaries in one allocation, by lifetime";
  let description = [{
    After netc-free-temporaries, an entry point allocates and frees a buffer
    per activation and gradient: thousands of `malloc` calls per training
    step, and as many pointers that LLVM keeps alive between the forward and
    the backward pass (its register allocator and stack slot coloring took
    most of the compile time of a 10,000-layer model). This pass replays the
    allocations and frees of the function's body, in order, on a simulated
    first-fit heap, and makes each buffer a `memref.view` at its place in
    one allocation (the arena) made before the first of them and freed
    before the return. The arena is as large as that heap grew: the peak of
    the live buffers, plus what fragmentation costs.

    The batch size is known only at run time: buffers of `B` bytes per
    sample are placed by a heap of their own, at `batch * offset`, and the
    fixed-size ones above them, at `batch * per_sample_total + offset`.
    Every buffer starts at a multiple of 64 bytes (of 64 bytes per sample),
    the alignment bufferization gives them.
    Only non-empty buffers with an identity layout, freed in the block that
    allocates them, whose dynamic size (if any) is the batch size (directly,
    or read back from a buffer or view of that size), are placed. The
    branches of `scf.if` ops (the input gradient computed on request) get
    arenas of their own. The
    arena carries the two sizes as `netc.fixed_bytes` and
    `netc.bytes_per_sample` (the header states them).

    ```mlir
    %a = memref.alloc(%n) : memref<?x16xf32>
    ...
    memref.dealloc %a : memref<?x16xf32>
    // becomes
    %arena = memref.alloc(%size) {netc.bytes_per_sample = 128 : i64, ...} : memref<?xi8>
    %a = memref.view %arena[%shift][%n] : memref<?xi8> to memref<?x16xf32>
    ...
    memref.dealloc %arena : memref<?xi8>   // before the return
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "memref::MemRefDialect"];
}

def NetcBarePointerKernels : Pass<"netc-bare-pointer-kernels", "ModuleOp"> {
  let summary = "Pass each kernel its buffers as pointers and dynamic sizes";
  let description = [{
    A call passes a memref as its descriptor: two pointers, the offset, and
    every size and stride, one value each (nine for a 4-d tensor), which the
    lowering to LLVM unpacks at every call. LLVM drops the constant ones
    from the internal kernels, but only after they have been built and
    translated: with thousands of layers, that plumbing was most of the
    lowered IR. This pass gives every kernel whose buffers are all
    contiguous (identity layout) a pointer (a rank-0 memref, the
    bare-pointer convention, `llvm.bareptr`) and an `index` per dynamic size
    for each, and rebuilds the memref in the kernel with
    `memref.reinterpret_cast`; each call passes the pointer and the sizes.

    ```mlir
    func.func private @k(%x: memref<?x16xf32>) attributes {netc.kernel}
    call @k(%a) : (memref<?x16xf32>) -> ()
    // becomes
    func.func private @k(%p: memref<f32>, %n: index)
        attributes {llvm.bareptr, netc.kernel} {
      %x = memref.reinterpret_cast %p to offset: [0], sizes: [%n, 16], strides: [16, 1]
      ...
    }
    %pa = memref.reinterpret_cast %a to offset: [0], sizes: [], strides: []
    %n = memref.dim %a, %c0
    call @k(%pa, %n) : (memref<f32>, index) -> ()
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "memref::MemRefDialect"];
}

def NetcOutlineSegments : Pass<"netc-outline-segments", "ModuleOp"> {
  let summary = "Split long bufferized functions into called segments";
  let description = [{
    A model's entry point holds every layer, forward and backward, in one
    block: by now a kernel call, allocation or free per op. LLVM's
    instruction selection, register allocation and stack slot coloring take
    time that grows faster than a function's size, which made a few
    thousand layers take minutes. This pass cuts every function whose
    top-level ops exceed `ops-per-segment`, and every branch of an `scf.if`
    in it that does (the input gradient computed on request), into
    consecutive segments, each
    moved into a private function that the original calls in order: values
    from earlier segments become arguments, values used later become
    results. Constants, index arithmetic and views (those of
    netc-plan-buffers' arena above all) are recomputed in each segment that
    uses them, so between calls a training step holds the arena and the
    batch size rather than a pointer per activation, which had made LLVM's
    register allocation superlinear. A buffer that outlives its segment is
    allocated before it when its size is known there: segments borrow such
    buffers rather than return them, so that between calls the original
    holds a pointer per live buffer, not a memref descriptor (a training
    step keeps every activation for its backward pass; this made its stack
    frame six times smaller). Buffers used within one segment stay in it. Segments are internal and `passthrough = ["noinline"]`
    (LLVM's noinline), so that LLVM does not paste them back together; a
    segment holds dozens of ops, so a call per segment costs nothing
    measurable.

    ```mlir
    func.func @net_forward(...) {
      ... 1000 ops ...
    }
    // becomes
    func.func @net_forward(...) {
      %a:2 = call @net_forward_segment0(%x) : ...
      %b = call @net_forward_segment1(%a#0, %a#1) : ...
      ...
    }
    func.func private @net_forward_segment0(...)
        attributes {passthrough = ["noinline"]} {...}
    ```

    Runs on bufferized code: memrefs crossing a segment boundary are
    pointers, so no data moves.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
  let options = [
    Option<"opsPerSegment", "ops-per-segment", "unsigned", "64",
           "Top-level ops per segment (those recomputed not counted)">,
  ];
}

def NetcGuardEntryPoints : Pass<"netc-guard-entry-points", "ModuleOp"> {
  let summary = "Export each entry point as a function that checks its "
                "arguments and returns a status";
  let description = [{
    netc-export-entry-points builds each function the C ABI exports
    (EntryPointABI.h) as a void function marked `netc.entry_point`. This
    pass renames it `<name>.body`, private, and exports in its place
    `int32_t <name>(...)`, which returns a netc_status: with a pointer
    argument NULL (other than one the ABI marks optional) or a negative
    batch, NETC_ERROR_INVALID_ARGUMENT, after reporting through the
    runtime's `netc_entry_point_error(status, message)` (which sets
    netc_last_error) a message that names the function and the argument;
    otherwise it calls the body and returns NETC_OK.

    ```mlir
    func.func @net_forward(%params: memref<f32>, %input: memref<f32>,
                           %output: memref<f32>, %batch: i64) -> i32
        attributes {llvm.bareptr} {
      %0 = memref.extract_aligned_pointer_as_index %params : memref<f32> -> index
      %1 = arith.cmpi eq, %0, %c0 : index
      cf.cond_br %1, ^bb1, ^bb2
    ^bb1:
      %msg = llvm.mlir.addressof @netc_message_net_forward_params : !llvm.ptr
      %s = call @netc_entry_point_error(%c5_i32, %msg) : (i32, !llvm.ptr) -> i32
      return %s : i32
      ...
    ^bbN:
      call @net_forward.body(%params, %input, %output, %batch) : (...) -> ()
      return %c0_i32 : i32
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NetcCheckAllocations : Pass<"netc-check-allocations", "ModuleOp"> {
  let summary = "Stop with a message where a heap allocation fails";
  let description = [{
    After the lowering to the LLVM dialect, every `malloc` the code calls
    (memref.alloc's lowering) is followed by a test of its result: a null
    pointer calls the runtime's `netc_out_of_memory(bytes)`, which writes
    what failed to stderr and aborts, rather than let a kernel write
    through the null pointer at an offset that may land in mapped memory.
    The call stays `malloc`, which LLVM knows returns memory aliasing
    nothing else.

    ```mlir
    %p = llvm.call @malloc(%bytes) : (i64) -> !llvm.ptr
    %null = llvm.mlir.zero : !llvm.ptr
    %failed = llvm.icmp "eq" %p, %null : !llvm.ptr
    llvm.cond_br %failed, ^fail, ^go
  ^fail:
    llvm.call @netc_out_of_memory(%bytes) : (i64) -> ()
    llvm.unreachable
  ^go:
    ...
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
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
