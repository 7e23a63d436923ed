//===- Passes.td - netc CPU code generation passes ---------*- tablegen -*-===//
//
// The stage between linalg on tensors and bufferization: a strategy chosen
// per op (netc-select-cpu-strategy), then applied (netc-tile-and-vectorize).
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CPU_PASSES_TD
#define NETC_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def NetcSelectCPUStrategy
    : Pass<"netc-select-cpu-strategy", "func::FuncOp"> {
  let summary = "Choose how each linalg op is tiled, threaded and vectorized";
  let description = [{
    Attaches to every linalg op a `netc.strategy` dictionary, chosen from the
    op's kind and shapes by `netc::selectCPUStrategy` (CPU/Strategy.cpp):

    - `threads`: tile sizes of the `scf.forall` whose iterations run on
      separate threads (0: loop not tiled). The batch loop, where the op has
      a dynamic one, else the first parallel loop of enough work.
    - `loops`: tile sizes of the `scf.for` nest inside one thread's tile.
    - `chunks` (optional): tile sizes of an `scf.for` around that nest: a
      reduction over the batch in chunks of images that stay in cache while
      every tile of the result reads them.
    - `vectorize`: present when the tile is vectorized.
    - `lanes` (optional): the loop that becomes the vector lanes where it
      is not the output's innermost one: a convolution's filters, when its
      rows do not fill vectors and its filters do.

    ```mlir
    linalg.conv_2d_nchw_fchw {netc.strategy = {threads = array<i64: 1, 0, 0, 0, 0, 0, 0>,
        loops = array<i64: 0, 10, 1, 24, 1, 1, 1>, vectorize}} ...
    ```

    A strategy already present is kept, so a test (or a user tuning one op)
    can set its own.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "unsigned", "0",
           "f32 lanes of the target's vectors (0: the host's, 16 with "
           "AVX-512, 8 with AVX2, else 4)">,
  ];
}

def NetcTileAndVectorize : Pass<"netc-tile-and-vectorize", "func::FuncOp"> {
  let summary = "Apply each linalg op's netc.strategy";
  let description = [{
    For each linalg op with a `netc.strategy`: tiles its `threads` loops
    into an `scf.forall`, fusing the producers of its destination (fills,
    broadcast biases) into the tile; tiles the thread's tile by `chunks`
    (if any) and then by `loops` into `scf.for`; and where `vectorize` is
    set, drops the unit loops of the innermost tile and vectorizes it; the pipeline's hoisting then keeps
    the accumulator in registers across the reduction loops. Strategies
    are removed as they are applied. The tile's vector ops are unrolled to
    rows, or, where rows shorter than a register fill whole ones together
    (`netc::packsRows`), to blocks of rows (a `vector<2x8xf32>` on 16
    lanes) that netc-pack-rows-in-vectors makes one vector. With `lanes`,
    the op's weights are first transposed (`linalg.transpose`) so that the
    lane loop indexes their last dimension, the tile's loops are
    interchanged to make it innermost, and its vectors are unrolled a
    register of lanes at a time (a register per output position).
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "unsigned", "0",
           "f32 lanes of the target's vectors (0: the host's)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def NetcApproximateVectorMath
    : Pass<"netc-approximate-vector-math", "func::FuncOp"> {
  let summary = "Vector exp, log and tanh as polynomials";
  let description = [{
    Rewrites `math.exp`, `math.log` and `math.tanh` on vectors (the
    vectorized tiles of sigmoid, tanh, softmax and the losses) into MLIR's
    polynomial approximations: a few vector FMAs per lane where libm would
    be called once per lane. Scalar math ops keep libm's results. The
    approximations are within a few ulp of libm (docs/pipeline.md states
    the measured bound).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def NetcJoinTileTransfers : Pass<"netc-join-tile-transfers", "func::FuncOp"> {
  let summary = "Read and write a whole tile in one transfer, not a row each";
  let description = [{
    A vectorized tile's accumulators are read and written one 1-d transfer
    per row: 16 reads and 16 chained writes for a tile of 4 filters by 4
    rows, in the body of each reduction loop. Hoisting them out of the
    loops (loop-invariant-subset-hoisting), and one-shot bufferization
    after it, check every read against every write of the tile (a
    disjointness proof each): time quadratic in the tile's rows. This pass
    joins a chain of row writes that covers a tensor into one n-d write of
    the rows inserted into one vector, and the row reads of that tensor
    into one n-d read and an extract per row. After hoisting,
    netc-split-carried-tiles carries the tile through the loops as rows
    again, and vector lowering unrolls the transfers into rows after
    bufferization.

    A tile vectorized along its filters (`lanes`) reads and writes a
    column piece of its tile per register (`vector<8x1xf32>` at
    `[first, position]`); the pieces that cover a tile are joined the same
    way, into one read and one write of the tile transposed
    (`permutation_map = (d0, d1) -> (d1, d0)`), reshaped to positions x
    pieces x lanes (`vector<12x1x8xf32>`), and an extract per piece.

    ```mlir
    %a = vector.transfer_read %t[%c0, %c0], %pad : tensor<2x8xf32>, vector<8xf32>
    %b = vector.transfer_read %t[%c1, %c0], %pad : tensor<2x8xf32>, vector<8xf32>
    ...
    %w0 = vector.transfer_write %x, %t[%c0, %c0] : vector<8xf32>, tensor<2x8xf32>
    %w1 = vector.transfer_write %y, %w0[%c1, %c0] : vector<8xf32>, tensor<2x8xf32>
    // becomes
    %tile = vector.transfer_read %t[%c0, %c0], %pad : tensor<2x8xf32>, vector<2x8xf32>
    %a = vector.extract %tile[0] : vector<8xf32> from vector<2x8xf32>
    %b = vector.extract %tile[1] : vector<8xf32> from vector<2x8xf32>
    ...
    %rows = vector.insert %y, (vector.insert %x, %poison [0]) [1]
    %w1 = vector.transfer_write %rows, %t[%c0, %c0] : vector<2x8xf32>, tensor<2x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def NetcSplitCarriedTiles : Pass<"netc-split-carried-tiles", "func::FuncOp"> {
  let summary = "Carry a tile through loops as its rows";
  let description = [{
    Hoisting a joined tile (netc-join-tile-transfers) out of its reduction
    loops leaves the loops carrying one n-d vector, that the body reads a
    row at a time (`vector.extract`) and yields as a chain of row inserts.
    Canonicalization would fold that chain into `vector.from_elements` of
    every lane, on each iteration. This pass carries such a tile as one
    `iter_arg` per row instead, inner loops first, and rebuilds the tile
    after the loop, where the tile's one write takes it.

    A lane tile (netc-join-tile-transfers) is carried reshaped: the
    reshapes around a loop move out of it first, and its pieces are then
    carried like rows. Its transposed read and write, outside the loops,
    become for each block of `lanes` rows of the tile a read of the rows
    and a `vector.transpose` (and the reverse for the write).

    ```mlir
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %init) -> (vector<2x8xf32>) {
      %a = vector.extract %t[0] : vector<8xf32> from vector<2x8xf32>
      %b = vector.extract %t[1] : vector<8xf32> from vector<2x8xf32>
      ...
      %y0 = vector.insert %x, %poison [0] : vector<8xf32> into vector<2x8xf32>
      %y1 = vector.insert %y, %y0 [1] : vector<8xf32> into vector<2x8xf32>
      scf.yield %y1 : vector<2x8xf32>
    }
    // becomes
    %a0 = vector.extract %init[0] ...
    %b0 = vector.extract %init[1] ...
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %a0, %b = %b0) -> (vector<8xf32>, vector<8xf32>) {
      ...
      scf.yield %x, %y : vector<8xf32>, vector<8xf32>
    }
    %r0 = vector.insert %r#0, %poison [0] ...
    %r1 = vector.insert %r#1, %r0 [1] ...
    ```
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def NetcPackRowsInVectors : Pass<"netc-pack-rows-in-vectors", "func::FuncOp"> {
  let summary = "Compute a tile's short rows together, in one vector";
  let description = [{
    Where a vectorized tile's rows are shorter than a register and fill
    whole registers together (`netc::packsRows`: 2 rows of 8 lanes, or 4
    of 4, on 16 lanes), netc-tile-and-vectorize unrolls the tile to blocks
    of rows, and netc-split-carried-tiles carries each block through the
    reduction loops. This pass computes each block as one 1-d vector:
    elementwise ops (the FMAs), scalar broadcasts and loop-carried
    blocks become ops on `vector<16xf32>` between `vector.shape_cast`s,
    which canonicalization folds away between neighbours. What is left are
    casts after the block's row reads and before its writes: the rows are
    loaded apart and joined in registers, and stored apart.

    ```mlir
    %s = arith.addf %acc, %p : vector<2x8xf32>
    // becomes
    %a = vector.shape_cast %acc : vector<2x8xf32> to vector<16xf32>
    %b = vector.shape_cast %p : vector<2x8xf32> to vector<16xf32>
    %c = arith.addf %a, %b : vector<16xf32>
    %s = vector.shape_cast %c : vector<16xf32> to vector<2x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect",
  ];
}

def NetcSerializeSingleIterationLoops
    : Pass<"netc-serialize-single-iteration-loops", "func::FuncOp"> {
  let summary = "Run OpenMP loops of one iteration without waking threads";
  let description = [{
    A kernel's thread loop is its batch: at batch 1 it has one iteration,
    and entering its `omp.parallel` region would still wake the other
    threads and wait for them at the end, a few microseconds per layer that
    dominate a small model's batch-1 latency. This pass gives every
    `omp.parallel` whose worksharing loop's bounds are known before it an
    `if` clause, true when some loop runs at least two iterations; libomp
    runs the region on the calling thread otherwise.

    ```mlir
    omp.parallel {
      omp.wsloop { omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {...} }
    }
    // becomes
    %span = arith.subi %n, %c0 : index
    %more = arith.cmpi sgt, %span, %c1 : index
    omp.parallel if(%more) {...}
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // NETC_CPU_PASSES_TD
