// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// dropout_train: the key splitmix64(seed ^ splitmix64(stream)) is computed
// once; each element hashes key + linear index * 0x9E3779B97F4A7C15 with
// the splitmix64 finalizer (xor-shift 30, multiply, xor-shift 27, multiply,
// xor-shift 31), the row-major index from linalg.index over the whole shape;
// its top 24 bits scaled by 2^-24 are a uniform u, kept iff u >= p. One
// generic yields x * mask and mask = kept ? 1 / (1 - p) : 0.
// CHECK-LABEL: func @dropout_train
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x4xf32>, %[[SEED:.*]]: i64)
// CHECK:       %[[STREAM:.*]] = arith.constant 2 : i64
// CHECK:       arith.xori %[[SEED]], %{{.*}} : i64
// CHECK:       %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<?x3x4xf32>) outs(%{{.*}}, %{{.*}} : tensor<?x3x4xf32>, tensor<?x3x4xf32>)
// CHECK:       ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[I0:.*]] = linalg.index 0 : index
// CHECK:         %[[C3:.*]] = arith.constant 3 : index
// CHECK:         %[[R0:.*]] = arith.muli %[[I0]], %[[C3]] : index
// CHECK:         %[[I1:.*]] = linalg.index 1 : index
// CHECK:         %[[L1:.*]] = arith.addi %[[R0]], %[[I1]] : index
// CHECK:         %[[C4:.*]] = arith.constant 4 : index
// CHECK:         %[[R1:.*]] = arith.muli %[[L1]], %[[C4]] : index
// CHECK:         %[[I2:.*]] = linalg.index 2 : index
// CHECK:         %[[LIN:.*]] = arith.addi %[[R1]], %[[I2]] : index
// CHECK:         %[[CTR:.*]] = arith.index_castui %[[LIN]] : index to i64
// CHECK:         %[[GOLDEN:.*]] = arith.constant -7046029254386353131 : i64
// CHECK:         %[[STEP:.*]] = arith.muli %[[CTR]], %[[GOLDEN]] : i64
// CHECK:         %[[STATE:.*]] = arith.addi %{{.*}}, %[[STEP]] : i64
// CHECK:         arith.shrui %[[STATE]], %{{.*}} : i64
// CHECK:         arith.constant -4658895280553007687 : i64
// CHECK:         arith.constant -7723592293110705685 : i64
// CHECK:         %[[BITS:.*]] = arith.xori
// CHECK:         %[[C40:.*]] = arith.constant 40 : i64
// CHECK:         %[[TOP:.*]] = arith.shrui %[[BITS]], %[[C40]] : i64
// CHECK:         %[[TOPF:.*]] = arith.uitofp %[[TOP]] : i64 to f32
// CHECK:         %[[ULP:.*]] = arith.constant 5.96046448E-8 : f32
// CHECK:         %[[U:.*]] = arith.mulf %[[TOPF]], %[[ULP]] : f32
// CHECK:         %[[P:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:         %[[KEEP:.*]] = arith.cmpf oge, %[[U]], %[[P]] : f32
// CHECK:         %[[SCALE:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[MASK:.*]] = arith.select %[[KEEP]], %[[SCALE]], %[[ZERO]] : f32
// CHECK:         %[[Y:.*]] = arith.mulf %[[IN]], %[[MASK]] : f32
// CHECK:         linalg.yield %[[Y]], %[[MASK]] : f32, f32
// CHECK:       return %[[R]]#0, %[[R]]#1
func.func @dropout_train(%x: tensor<?x3x4xf32>, %seed: i64) -> (tensor<?x3x4xf32>, tensor<?x3x4xf32>) {
  %y, %mask = netc.dropout_train %x, %seed {p = 0.5 : f32, stream = 2 : i64}
      : (tensor<?x3x4xf32>, i64) -> (tensor<?x3x4xf32>, tensor<?x3x4xf32>)
  return %y, %mask : tensor<?x3x4xf32>, tensor<?x3x4xf32>
}

// -----

// With p = 0 every element is kept unscaled: the result is the input and the
// mask a fill of ones; no hash is computed.
// CHECK-LABEL: func @dropout_train_p0
// CHECK-NOT:   arith.xori
// CHECK:       %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:       %[[MASK:.*]] = linalg.fill ins(%[[ONE]] : f32) outs(%{{.*}} : tensor<?x120xf32>)
// CHECK:       return %arg0, %[[MASK]]
func.func @dropout_train_p0(%x: tensor<?x120xf32>, %seed: i64) -> (tensor<?x120xf32>, tensor<?x120xf32>) {
  %y, %mask = netc.dropout_train %x, %seed {p = 0.0 : f32, stream = 0 : i64}
      : (tensor<?x120xf32>, i64) -> (tensor<?x120xf32>, tensor<?x120xf32>)
  return %y, %mask : tensor<?x120xf32>, tensor<?x120xf32>
}
