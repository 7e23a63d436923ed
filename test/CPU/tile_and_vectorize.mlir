// RUN: netc-opt %s --netc-cpu-codegen-pipeline="vector-width=16" | FileCheck %s
// RUN: netc-opt %s --netc-cpu-codegen-pipeline="vector-width=8" | FileCheck %s --check-prefix=W8

// The convolution strategy end to end (select with an explicit width, then
// netc-tile-and-vectorize, canonicalization, netc-join-tile-transfers,
// hoisting and netc-split-carried-tiles): images across threads with the
// bias broadcast fused into each image's tile, then per (5 filters, one row of 24 pixels)
// five accumulator rows kept in vector registers across the channel and
// kernel loops, read before them and written after them as one 5x24 tile;
// each step loads one input row and multiplies it by five broadcast
// weights.
// CHECK-LABEL: func @conv
// CHECK: scf.forall (%[[N:.*]]) in
// CHECK: linalg.broadcast
// CHECK: scf.for {{.*}} step %c5
// CHECK: scf.for
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<5x24xf32>, vector<5x24xf32>
// CHECK-COUNT-5: vector.extract %[[ACC]]{{.*}} : vector<24xf32> from vector<5x24xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<24xf32>, vector<24xf32>, vector<24xf32>, vector<24xf32>, vector<24xf32>)
// CHECK: scf.for {{.*}} -> (vector<24xf32>, vector<24xf32>, vector<24xf32>, vector<24xf32>, vector<24xf32>)
// CHECK: vector.transfer_read {{.*}} vector<24xf32>
// CHECK: vector.broadcast {{.*}} to vector<24xf32>
// CHECK-COUNT-5: arith.mulf {{.*}} : vector<24xf32>
// CHECK-COUNT-5: arith.addf {{.*}} : vector<24xf32>
// CHECK: scf.yield
// CHECK: scf.yield
// CHECK-COUNT-5: vector.to_elements {{.*}} : vector<24xf32>
// CHECK: vector.from_elements {{.*}} : vector<5x24xf32>
// CHECK: vector.transfer_write {{.*}} : vector<5x24xf32>, tensor<5x24xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: scf.forall.in_parallel
func.func @conv(%x: tensor<?x1x28x28xf32>, %w: tensor<10x1x5x5xf32>, %b: tensor<10xf32>) -> tensor<?x10x24x24xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x28x28xf32>
  %empty = tensor.empty(%n) : tensor<?x10x24x24xf32>
  %bias = linalg.broadcast ins(%b : tensor<10xf32>) outs(%empty : tensor<?x10x24x24xf32>) dimensions = [0, 2, 3]
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>,
         netc.strategy = {loops = array<i64: 0, 5, 1, 24, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}}
         ins(%x, %w : tensor<?x1x28x28xf32>, tensor<10x1x5x5xf32>) outs(%bias : tensor<?x10x24x24xf32>) -> tensor<?x10x24x24xf32>
  return %0 : tensor<?x10x24x24xf32>
}

// A tile of 2 filters times 2 output rows (the loop the weights do not
// read): each step loads two input rows and two weights, each used twice.
// On 16 lanes, the 2 rows of 8 of each filter are one vector (the two
// input rows loaded as one 2x8 block): 2 accumulators of 16 lanes.
// CHECK-LABEL: func @conv_rows
// CHECK: scf.for {{.*}} step %c2
// CHECK: scf.for {{.*}} step %c2
// CHECK: scf.for {{.*}} step %c8
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<2x2x8xf32>, vector<2x2x8xf32>
// CHECK-COUNT-2: vector.extract %[[ACC]]{{.*}} : vector<2x8xf32> from vector<2x2x8xf32>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<2x8xf32>, vector<2x8xf32>
// CHECK-COUNT-2: vector.transfer_read {{.*}} : tensor<2xf32>, vector<1xf32>
// CHECK-NOT: vector.transfer_read
// CHECK-COUNT-2: arith.addf {{.*}} : vector<16xf32>
// CHECK: scf.yield
// CHECK: scf.yield
// CHECK-COUNT-2: vector.shape_cast {{.*}} : vector<16xf32> to vector<2x8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<2x2x8xf32>, tensor<2x2x8xf32>
// On 8 lanes, each row fills a register: 4 accumulators.
// W8-LABEL: func @conv_rows
// W8: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<2x2x8xf32>, vector<2x2x8xf32>
// W8-COUNT-4: vector.extract %[[ACC]]{{.*}} : vector<8xf32> from vector<2x2x8xf32>
// W8: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// W8: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// W8-COUNT-2: vector.transfer_read {{.*}} : tensor<2x8xf32>, vector<8xf32>
// W8-COUNT-2: vector.transfer_read {{.*}} : tensor<2xf32>, vector<1xf32>
// W8-NOT: vector.transfer_read
// W8-COUNT-4: arith.addf {{.*}} : vector<8xf32>
// W8: scf.yield
// W8: scf.yield
// W8-COUNT-4: vector.to_elements {{.*}} : vector<8xf32>
// W8: vector.from_elements {{.*}} : vector<2x2x8xf32>
// W8: vector.transfer_write {{.*}} : vector<2x2x8xf32>, tensor<2x2x8xf32>
func.func @conv_rows(%x: tensor<?x1x28x28xf32>, %w: tensor<10x1x5x5xf32>, %init: tensor<?x10x24x24xf32>) -> tensor<?x10x24x24xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>,
         netc.strategy = {loops = array<i64: 0, 2, 2, 8, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}}
         ins(%x, %w : tensor<?x1x28x28xf32>, tensor<10x1x5x5xf32>) outs(%init : tensor<?x10x24x24xf32>) -> tensor<?x10x24x24xf32>
  return %0 : tensor<?x10x24x24xf32>
}

// Dot products: a linear layer's row of 400 inputs against each output's
// weight row, reduced per output.
// CHECK-LABEL: func @linear
// CHECK: scf.forall
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<400xf32>
// CHECK: vector.transfer_read {{.*}} vector<400xf32>
// CHECK: arith.mulf {{.*}} : vector<400xf32>
// CHECK: vector.multi_reduction <add>
func.func @linear(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>, %init: tensor<?x120xf32>) -> tensor<?x120xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x400xf32>, tensor<120x400xf32>) outs(%init : tensor<?x120xf32>) -> tensor<?x120xf32>
  return %0 : tensor<?x120xf32>
}

// Stride-2 pooling: each window offset reads the 23 input pixels its 12
// outputs span in one vector and keeps every other lane; the row of maxima
// stays in a register across the window loops. Each row is one slice of
// the image's tile (not a slice of a slice), read and written back.
// CHECK-LABEL: func @strided_pool
// CHECK: scf.forall
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[TILE:.*]][0, %{{.*}}, %{{.*}}, 0] [1, 1, 1, 12] [1, 1, 1, 1] : tensor<1x10x12x12xf32> to tensor<12xf32>
// CHECK: vector.transfer_read %[[ROW]]{{.*}} vector<12xf32>
// CHECK: scf.for {{.*}} -> (vector<12xf32>)
// CHECK: scf.for {{.*}} -> (vector<12xf32>)
// CHECK: %[[IN:.*]] = tensor.extract_slice %{{.*}} : tensor<?x10x24x24xf32> to tensor<23xf32>
// CHECK: %[[SPAN:.*]] = vector.transfer_read %[[IN]]{{.*}} : tensor<23xf32>, vector<23xf32>
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[SPAN]], %[[SPAN]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]
// CHECK: arith.maximumf {{.*}}, %[[EVEN]] : vector<12xf32>
// CHECK: %[[WRITTEN:.*]] = vector.transfer_write {{.*}}, %[[ROW]]{{.*}} vector<12xf32>
// CHECK: tensor.insert_slice %[[WRITTEN]] into %[[TILE]]
func.func @strided_pool(%x: tensor<?x10x24x24xf32>, %init: tensor<?x10x12x12xf32>) -> tensor<?x10x12x12xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>,
         netc.strategy = {loops = array<i64: 0, 1, 1, 12, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0>, vectorize}}
         ins(%x, %window : tensor<?x10x24x24xf32>, tensor<2x2xf32>) outs(%init : tensor<?x10x12x12xf32>) -> tensor<?x10x12x12xf32>
  return %0 : tensor<?x10x12x12xf32>
}

// A weight gradient with chunks of the batch: the threads take 4 filters
// each; within a thread, a loop over chunks of 4 images (the last one
// shorter) carries the whole partial result, and in each chunk every tile
// (4 channels of 8-pixel rows, two channels a register) sums the chunk's
// images, loading its accumulators from the result and storing them back.
// CHECK-LABEL: func @weight_gradient_chunks
// CHECK: %[[BATCH:.*]] = tensor.dim
// CHECK: scf.forall (%{{.*}}) = (0) to (8) step (4)
// CHECK: scf.for %[[CHUNK:.*]] = %c0 to %[[BATCH]] step %c4 iter_args(%{{.*}}) -> (tensor<4x4x5x5x8xf32>)
// CHECK: %[[IMAGES:.*]] = affine.min {{.*}}(%[[CHUNK]])[%[[BATCH]]]
// CHECK: scf.for {{.*}} to %c5 step %c1
// CHECK: scf.for {{.*}} to %c5 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<4x4x8xf32>, vector<4x4x8xf32>
// CHECK: scf.for {{.*}} = %c0 to %[[IMAGES]] step %c1 iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK: scf.for {{.*}} = %c0 to %c8 step %c1
// CHECK-COUNT-4: arith.mulf {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4x4x8xf32>, tensor<4x4x8xf32>
func.func @weight_gradient_chunks(%dy: tensor<?x8x8x8xf32>, %x: tensor<?x4x12x12xf32>,
                                  %init: tensor<8x4x5x5x8xf32>) -> tensor<8x4x5x5x8xf32> {
  %0 = linalg.generic {
      indexing_maps = [affine_map<(f, c, kh, kw, r, n, oh) -> (n, f, oh, r)>,
                       affine_map<(f, c, kh, kw, r, n, oh) -> (n, c, oh + kh, r + kw)>,
                       affine_map<(f, c, kh, kw, r, n, oh) -> (f, c, kh, kw, r)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%dy, %x : tensor<?x8x8x8xf32>, tensor<?x4x12x12xf32>) outs(%init : tensor<8x4x5x5x8xf32>)
      attrs = {netc.strategy = {chunks = array<i64: 0, 0, 0, 0, 0, 4, 0>, loops = array<i64: 0, 4, 1, 1, 8, 1, 1>,
                                threads = array<i64: 4, 0, 0, 0, 0, 0, 0>, vectorize}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x4x5x5x8xf32>
  return %0 : tensor<8x4x5x5x8xf32>
}

// Rows of 12 do not fill vectors; 16 filters do. The tile is vectorized
// along the filters (`lanes`): the weights are transposed once to
// (C, KH, KW, F), each step loads one vector of filters per register and
// broadcasts one input pixel per position, and the accumulators, one
// register per output position, are read and written transposed once per
// tile, a block of rows of the output at a time. 16 lanes: 1 vector x 12
// positions; 8 lanes: 2 vectors x 6 positions.
// CHECK-LABEL: func @conv_filters_as_lanes
// CHECK: linalg.transpose ins({{.*}} : tensor<16x4x3x3xf32>) outs({{.*}} : tensor<4x3x3x16xf32>) permutation = [1, 2, 3, 0]
// CHECK: scf.forall
// CHECK: %[[ROWS:.*]] = vector.transfer_read {{.*}} : tensor<16x12xf32>, vector<16x12xf32>
// CHECK: %[[COLUMNS:.*]] = vector.transpose %[[ROWS]], [1, 0] : vector<16x12xf32> to vector<12x16xf32>
// CHECK-COUNT-12: vector.extract %[[COLUMNS]]
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK-COUNT-12: vector.transfer_read {{.*}} : tensor<12xf32>, vector<1xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<16xf32>, vector<16xf32>
// CHECK-NOT: vector.transfer_read
// CHECK-COUNT-12: arith.mulf {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16x12xf32>, tensor<16x12xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: scf.forall.in_parallel
// W8-LABEL: func @conv_filters_as_lanes
// W8: linalg.transpose
// W8: scf.for {{.*}} step %c6
// W8-COUNT-2: vector.transpose {{.*}} : vector<8x6xf32> to vector<6x8xf32>
// W8: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// W8-COUNT-6: vector.transfer_read {{.*}} : tensor<6xf32>, vector<1xf32>
// W8-COUNT-2: vector.transfer_read {{.*}} : tensor<16xf32>, vector<8xf32>
// W8-COUNT-12: arith.mulf {{.*}} : vector<8xf32>
// W8: vector.transfer_write {{.*}}[%c0, %c0] {{.*}} : vector<8x6xf32>, tensor<16x6xf32>
// W8: vector.transfer_write {{.*}}[%c8, %c0] {{.*}} : vector<8x6xf32>, tensor<16x6xf32>
func.func @conv_filters_as_lanes(%x: tensor<?x4x14x14xf32>, %w: tensor<16x4x3x3xf32>, %init: tensor<?x16x12x12xf32>) -> tensor<?x16x12x12xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<?x4x14x14xf32>, tensor<16x4x3x3xf32>) outs(%init : tensor<?x16x12x12xf32>) -> tensor<?x16x12x12xf32>
  return %0 : tensor<?x16x12x12xf32>
}
