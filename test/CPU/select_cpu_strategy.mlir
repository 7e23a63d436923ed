// RUN: netc-opt %s --netc-select-cpu-strategy=vector-width=16 | FileCheck %s
// RUN: netc-opt %s --netc-select-cpu-strategy=vector-width=8 | FileCheck %s --check-prefix=W8

// A stride-1 convolution: the batch on threads, then 12 pixels of an output
// row (24 is not a whole number of 16-float vectors: its largest divisor
// that fits in one) times 5 filters (the loop the input does not read)
// times 3 output rows (the loop the weights do not read) per tile, every
// reduction loop stepped by 1: each input row loaded serves 5 filters and
// each weight 3 rows.
// CHECK-LABEL: func @conv
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: netc.strategy = {loops = array<i64: 0, 5, 3, 12, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
// On 8 lanes (AVX2) a row of 24 is three whole vectors, not a power-of-two
// number: one vector of 8, and accumulators in 8 of AVX2's 16 registers
// (2 filters x 4 rows).
// W8-LABEL: func @conv
// W8: netc.strategy = {loops = array<i64: 0, 2, 4, 8, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
func.func @conv(%x: tensor<?x1x28x28xf32>, %w: tensor<10x1x5x5xf32>, %init: tensor<?x10x24x24xf32>) -> tensor<?x10x24x24xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<?x1x28x28xf32>, tensor<10x1x5x5xf32>) outs(%init : tensor<?x10x24x24xf32>) -> tensor<?x10x24x24xf32>
  return %0 : tensor<?x10x24x24xf32>
}

// Elementwise: one row at a time.
// CHECK-LABEL: func @relu
// CHECK: linalg.generic
// CHECK-SAME: netc.strategy = {loops = array<i64: 0, 1, 1, 12>, threads = array<i64: 1, 0, 0, 0>, vectorize}
// On 8 lanes, rows of 6: pieces of 4 would not pack, one row to a tile.
// W8-LABEL: func @relu
// W8: netc.strategy = {loops = array<i64: 0, 1, 1, 6>, threads = array<i64: 1, 0, 0, 0>, vectorize}
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu(%x: tensor<?x10x12x12xf32>, %init: tensor<?x10x12x12xf32>) -> tensor<?x10x12x12xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
         ins(%x : tensor<?x10x12x12xf32>) outs(%init : tensor<?x10x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x10x12x12xf32>
  return %0 : tensor<?x10x12x12xf32>
}

// A linear layer reads its weight transposed: its dot products are
// vectorized along the reduction (400 = whole) instead.
// CHECK-LABEL: func @linear
// CHECK: linalg.matmul
// CHECK-SAME: netc.strategy = {loops = array<i64: 0, 1, 400>, threads = array<i64: 1, 0, 0>, vectorize}
func.func @linear(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>, %init: tensor<?x120xf32>) -> tensor<?x120xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x400xf32>, tensor<120x400xf32>) outs(%init : tensor<?x120xf32>) -> tensor<?x120xf32>
  return %0 : tensor<?x120xf32>
}

// Stride-2 pooling reads its rows with gaps: still one row of 12 outputs
// at a time, each vector every other lane of a contiguous read.
// CHECK-LABEL: func @pool
// CHECK: linalg.pooling_nchw_max
// CHECK-SAME: netc.strategy = {loops = array<i64: 0, 1, 1, 12, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0>, vectorize}
func.func @pool(%x: tensor<?x10x24x24xf32>, %init: tensor<?x10x12x12xf32>) -> tensor<?x10x12x12xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%x, %window : tensor<?x10x24x24xf32>, tensor<2x2xf32>) outs(%init : tensor<?x10x12x12xf32>) -> tensor<?x10x12x12xf32>
  return %0 : tensor<?x10x12x12xf32>
}

// Too little work for a fork (an optimizer update of 250 floats): one
// thread; 250 is longer than four vectors and not a whole number of them,
// so rows of 10 (its largest divisor that fits in one).
// CHECK-LABEL: func @small
// CHECK: linalg.generic
// CHECK-SAME: netc.strategy = {loops = array<i64: 10>, threads = array<i64: 0>, vectorize}
#v = affine_map<(i) -> (i)>
func.func @small(%p: tensor<250xf32>, %g: tensor<250xf32>) -> tensor<250xf32> {
  %0 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
         ins(%g : tensor<250xf32>) outs(%p : tensor<250xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.subf %out, %in : f32
    linalg.yield %r : f32
  } -> tensor<250xf32>
  return %0 : tensor<250xf32>
}

// Convolutions whose rows are 4 or 3 pixels (a residual block after two
// poolings) fill no vector along the rows, but their 32 filters fill whole
// ones: they are vectorized along the filters (`lanes`, the filter loop),
// a tile of 2 vectors of filters times 4 positions of a row (all 3 of a
// row of 3), each position's accumulator one register.
// CHECK-LABEL: func @short_rows
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: netc.strategy = {lanes = 1 : i64, loops = array<i64: 0, 32, 1, 4, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: netc.strategy = {lanes = 1 : i64, loops = array<i64: 0, 32, 1, 3, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
// W8-LABEL: func @short_rows
// W8: netc.strategy = {lanes = 1 : i64, loops = array<i64: 0, 16, 1, 4, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
// W8: netc.strategy = {lanes = 1 : i64, loops = array<i64: 0, 32, 1, 3, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
func.func @short_rows(%x: tensor<?x32x6x6xf32>, %w: tensor<32x32x3x3xf32>, %init: tensor<?x32x4x4xf32>,
                      %y: tensor<?x32x5x5xf32>, %init3: tensor<?x32x3x3xf32>) -> (tensor<?x32x4x4xf32>, tensor<?x32x3x3xf32>) {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<?x32x6x6xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<?x32x4x4xf32>) -> tensor<?x32x4x4xf32>
  %1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%y, %w : tensor<?x32x5x5xf32>, tensor<32x32x3x3xf32>) outs(%init3 : tensor<?x32x3x3xf32>) -> tensor<?x32x3x3xf32>
  return %0, %1 : tensor<?x32x4x4xf32>, tensor<?x32x3x3xf32>
}

// The row-partial weight gradient partial[f, c, kh, kw, r] += dy[n, f, oh, r]
// * x[n, c, oh + kh, r + kw]: rows of 8, and 8 input channels (which dy does
// not read) times 4 filters (which x does not read) a tile, the rows of 2
// channels packed in each register. The filters are also the threaded loop:
// of the tiles that load as little per FMA (8 x 4 and 4 x 8), the one that
// gives the threads more chunks, 8 of 4 filters. Every tile reads every
// image: the batch is summed in chunks of 3 images (17,408 bytes of dy and x each, 64 KiB a
// chunk), whose channels stay in the L1 cache while the tiles of those
// channels read them.
// CHECK-LABEL: func @weight_gradient
// CHECK: linalg.generic
// CHECK-SAME: netc.strategy = {chunks = array<i64: 0, 0, 0, 0, 0, 3, 0>, loops = array<i64: 0, 8, 1, 1, 8, 1, 1>, threads = array<i64: 4, 0, 0, 0, 0, 0, 0>, vectorize}
func.func @weight_gradient(%dy: tensor<?x32x8x8xf32>, %x: tensor<?x16x12x12xf32>,
                           %init: tensor<32x16x5x5x8xf32>) -> tensor<32x16x5x5x8xf32> {
  %0 = linalg.generic {
      indexing_maps = [affine_map<(f, c, kh, kw, r, n, oh) -> (n, f, oh, r)>,
                       affine_map<(f, c, kh, kw, r, n, oh) -> (n, c, oh + kh, r + kw)>,
                       affine_map<(f, c, kh, kw, r, n, oh) -> (f, c, kh, kw, r)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%dy, %x : tensor<?x32x8x8xf32>, tensor<?x16x12x12xf32>) outs(%init : tensor<32x16x5x5x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<32x16x5x5x8xf32>
  return %0 : tensor<32x16x5x5x8xf32>
}

// An optimizer update over a flattened tensor of 20 * 88 * 5 * 5 floats with
// two results: its one loop is the row and the threaded loop, so the threads
// take chunks of row tiles (125 tiles of 32) and each chunk runs in tiles of
// 32.
// CHECK-LABEL: func @flat_update
// CHECK: linalg.generic
// CHECK-SAME: netc.strategy = {loops = array<i64: 32>, threads = array<i64: 4000>, vectorize}
func.func @flat_update(%p: tensor<44000xf32>, %g: tensor<44000xf32>, %init: tensor<44000xf32>)
    -> (tensor<44000xf32>, tensor<44000xf32>) {
  %0:2 = linalg.generic {
      indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
      iterator_types = ["parallel"]}
      ins(%p, %g : tensor<44000xf32>, tensor<44000xf32>) outs(%init, %init : tensor<44000xf32>, tensor<44000xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32, %o2: f32):
    %s = arith.subf %a, %b : f32
    linalg.yield %s, %b : f32, f32
  } -> (tensor<44000xf32>, tensor<44000xf32>)
  return %0#0, %0#1 : tensor<44000xf32>, tensor<44000xf32>
}

// A stride of 5 would read five times what it uses: threads only.
// CHECK-LABEL: func @wide_stride_pool
// CHECK: linalg.pooling_nchw_max
// CHECK-SAME: netc.strategy = {loops = array<i64: 0, 0, 0, 0, 0, 0>, threads = array<i64: 1, 0, 0, 0, 0, 0>}
func.func @wide_stride_pool(%x: tensor<?x10x25x25xf32>, %init: tensor<?x10x5x5xf32>) -> tensor<?x10x5x5xf32> {
  %window = tensor.empty() : tensor<5x5xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<5> : tensor<2xi64>}
         ins(%x, %window : tensor<?x10x25x25xf32>, tensor<5x5xf32>) outs(%init : tensor<?x10x5x5xf32>) -> tensor<?x10x5x5xf32>
  return %0 : tensor<?x10x5x5xf32>
}

// A batch norm's sum of squared deviations over each channel: the rows (8,
// half a vector) are reduced as dot products are, on 256-bit vectors, the
// channel's mean (which the rows do not index) one broadcast value; the
// channels go to the threads.
// CHECK-LABEL: func @channel_variance
// CHECK: linalg.generic
// CHECK-SAME: netc.strategy = {loops = array<i64: 1, 0, 1, 8>, threads = array<i64: 0, 1, 0, 0>, vectorize}
#input = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
func.func @channel_variance(%x: tensor<?x64x8x8xf32>, %mean: tensor<64xf32>,
                            %init: tensor<64xf64>) -> tensor<64xf64> {
  %0 = linalg.generic {indexing_maps = [#input, #channel, #channel],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x, %mean : tensor<?x64x8x8xf32>, tensor<64xf32>) outs(%init : tensor<64xf64>) {
  ^bb0(%in: f32, %m: f32, %acc: f64):
    %d = arith.subf %in, %m : f32
    %s = arith.mulf %d, %d : f32
    %e = arith.extf %s : f32 to f64
    %r = arith.addf %acc, %e : f64
    linalg.yield %r : f64
  } -> tensor<64xf64>
  return %0 : tensor<64xf64>
}

// A 3x3 convolution on 12-pixel rows (residual's blocks) with 16 filters:
// vectorized along the filters, 12 accumulators of 16 filters (one row of
// 12 positions) on 16 lanes, 2 vectors of 8 filters x 6 positions on 8.
// CHECK-LABEL: func @rows_of_12
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: netc.strategy = {lanes = 1 : i64, loops = array<i64: 0, 16, 1, 12, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
// W8-LABEL: func @rows_of_12
// W8: netc.strategy = {lanes = 1 : i64, loops = array<i64: 0, 16, 1, 6, 1, 1, 1>, threads = array<i64: 1, 0, 0, 0, 0, 0, 0>, vectorize}
func.func @rows_of_12(%x: tensor<?x16x14x14xf32>, %w: tensor<16x16x3x3xf32>, %init: tensor<?x16x12x12xf32>) -> tensor<?x16x12x12xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<?x16x14x14xf32>, tensor<16x16x3x3xf32>) outs(%init : tensor<?x16x12x12xf32>) -> tensor<?x16x12x12xf32>
  return %0 : tensor<?x16x12x12xf32>
}
