// RUN: netc-opt %s -split-input-file -verify-diagnostics

// A result shape that disagrees with the shape rule.
func.func @conv_wrong_result(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'netc.conv' op expected result shape (?, 4, 6, 6), got 'tensor<?x4x8x8xf32>'}}
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

// Channels per group must match the weight.
func.func @conv_channel_mismatch(%x: tensor<?x2x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{in_channels: the weight expects 3 input channels per group but the input (N, 2, 8, 8) has 2 channels in 1 group(s)}}
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x2x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<?x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{groups: groups 4 does not divide out_channels 6}}
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 4 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<?x6x6x6xf32>
  return
}

// -----

func.func @conv_kernel_too_large(%x: tensor<?x1x5x5xf32>, %w: tensor<1x1x7x7xf32>) {
  // expected-error @+1 {{kernel_size: kernel_size 7 exceeds the padded input size 5 in spatial dim 0}}
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x1x5x5xf32>, tensor<1x1x7x7xf32>) -> tensor<?x1x1x1xf32>
  return
}

// -----

func.func @reflect_padding_too_wide(%x: tensor<?x1x3x3xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+1 {{padding: reflect padding (3, 3) must be smaller than the input size 3 in spatial dim 0}}
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 3, 0>, padding_low = array<i64: 3, 0>,
         padding_mode = #netc<padding_mode reflect>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<?x1x7x1xf32>
  return
}

// -----

func.func @pool_padding_too_wide(%x: tensor<?x1x8x8xf32>) {
  // expected-error @+1 {{padding: padding 2 must be at most half the kernel_size 2}}
  %0 = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 2, 2>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x1x8x8xf32>) -> tensor<?x1x6x6xf32>
  return
}

// -----

// torch's ceil_mode: a last window starting in the right padding is dropped.
func.func @pool_ceil_mode(%x: tensor<?x1x5x5xf32>) {
  // expected-error @+1 {{expected result shape (?, 1, 3, 3), got 'tensor<?x1x4x4xf32>'}}
  %0 = netc.pool %x {kind = #netc<pool_kind avg>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
         dilation = array<i64: 1, 1>, ceil_mode = true, count_include_pad = true}
       : (tensor<?x1x5x5xf32>) -> tensor<?x1x4x4xf32>
  return
}

// -----

func.func @avg_pool_dilation(%x: tensor<?x1x8x8xf32>) {
  // expected-error @+1 {{dilation: average pooling has no dilation, got 2}}
  %0 = netc.pool %x {kind = #netc<pool_kind avg>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
         dilation = array<i64: 2, 2>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x1x8x8xf32>) -> tensor<?x1x3x3xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<?x320xf32>, %w: tensor<10x300xf32>) {
  // expected-error @+1 {{in_features: the weight expects 300 in_features but the input (N, 320) has 320}}
  %0 = netc.linear %x, %w : (tensor<?x320xf32>, tensor<10x300xf32>) -> tensor<?x10xf32>
  return
}

// -----

func.func @linear_needs_flatten(%x: tensor<?x20x4x4xf32>, %w: tensor<10x320xf32>) {
  // expected-error @+1 {{input: expected a (N, in_features) input, got (N, 20, 4, 4) (add a flatten layer before it)}}
  %0 = netc.linear %x, %w : (tensor<?x20x4x4xf32>, tensor<10x320xf32>) -> tensor<?x10xf32>
  return
}

// -----

func.func @batch_norm_features(%x: tensor<?x16x4x4xf32>, %m: tensor<8xf32>) {
  // expected-error @+1 {{num_features: expected 16 features (the input's channels in (N, 16, 4, 4)), got 8}}
  %0 = netc.batch_norm %x, %m, %m {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x16x4x4xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x16x4x4xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<?x4x8x8xf32>, %b: tensor<?x4x6x6xf32>) {
  // expected-error @+1 {{inputs: input 1 has shape (N, 4, 6, 6), which does not match input 0's (N, 4, 8, 8) outside dim 1}}
  %0 = netc.concat %a, %b {dim = 1 : i64}
       : (tensor<?x4x8x8xf32>, tensor<?x4x6x6xf32>) -> tensor<?x8x8x8xf32>
  return
}

// -----

func.func @softmax_batch_dim(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{dim: dim 0 is outside [1, 2) for the input (N, 10)}}
  %0 = netc.softmax %x {dim = 0 : i64} : tensor<?x10xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{shape: cannot reshape (N, 10) (10 elements per sample) to (N, 3, 3)}}
  %0 = netc.reshape %x : (tensor<?x10xf32>) -> tensor<?x3x3xf32>
  return
}

// -----

func.func @flatten_batch(%x: tensor<?x4x4xf32>) {
  // expected-error @+1 {{start_dim: start_dim 0 is outside [1, 3) for the input (N, 4, 4) (the batch dimension stays apart)}}
  %0 = netc.flatten %x {start_dim = 0 : i64, end_dim = -1 : i64}
       : (tensor<?x4x4xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @dropout_p(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{p must be in [0, 1), got 1}}
  %0 = netc.dropout %x {p = 1.0 : f32} : tensor<?x4xf32>
  return
}

// -----

// A gradient op's result gradient must be what the forward rule gives.
func.func @conv_input_grad_shape(%dy: tensor<?x4x5x5xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{result_grad type 'tensor<?x4x5x5xf32>' is not the convolution result of the input gradient and weight types}}
  %0 = netc.conv_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, stride = array<i64: 1, 1>}
       : (tensor<?x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<?x3x8x8xf32>
  return
}

// -----

func.func @pool_grad_shape(%x: tensor<?x1x8x8xf32>, %dy: tensor<?x1x3x3xf32>) {
  // expected-error @+1 {{result_grad type 'tensor<?x1x3x3xf32>' is not the pooling result of the input type}}
  %0 = netc.pool_grad %x, %dy {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x1x8x8xf32>, tensor<?x1x3x3xf32>) -> tensor<?x1x8x8xf32>
  return
}
