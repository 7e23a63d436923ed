// 16 lanes of math.exp, math.log and math.tanh, called from
// vector_math_ulp.c through bare pointers.
func.func @vector_exp(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %x = vector.load %in[%c0] : memref<16xf32>, vector<16xf32>
  %y = math.exp %x : vector<16xf32>
  vector.store %y, %out[%c0] : memref<16xf32>, vector<16xf32>
  return
}
func.func @vector_log(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %x = vector.load %in[%c0] : memref<16xf32>, vector<16xf32>
  %y = math.log %x : vector<16xf32>
  vector.store %y, %out[%c0] : memref<16xf32>, vector<16xf32>
  return
}
func.func @vector_tanh(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %x = vector.load %in[%c0] : memref<16xf32>, vector<16xf32>
  %y = math.tanh %x : vector<16xf32>
  vector.store %y, %out[%c0] : memref<16xf32>, vector<16xf32>
  return
}
