//===- Tensor.cpp - Element types and shapes ------------------------------===//
//
// The one dtype conversion the loaders share (floats and integers to
// float32), reading converted data from a file a piece at a time, and shape
// arithmetic with overflow checks, since shapes come from files.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cmath>
#include <cstring>

using namespace netc;

size_t netc::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return 4;
  case DType::F64:
    return 8;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
  case DType::U16:
    return 2;
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::I64:
  case DType::U64:
    return 8;
  }
  return 0;
}

/// Converts `numel` little-endian integers of type T at `src` (any
/// alignment) to float32, rounding to nearest.
template <typename T>
static void integersToF32(const uint8_t *src, float *dst, size_t numel) {
  for (size_t i = 0; i < numel; ++i) {
    T value;
    std::memcpy(&value, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(value);
  }
}

/// Widens IEEE half-precision bits to float32, exactly (every half is a
/// float), keeping infinities and NaN payloads.
static float halfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half >> 15) << 31;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  uint32_t bits = exponent == 0x1f
                      ? sign | 0x7f800000u | (mantissa << 13)
                      : sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

void netc::convertToF32(DType dtype, const uint8_t *src, float *dst,
                        size_t numel) {
  // memcpy per element: file data has no alignment guarantee.
  switch (dtype) {
  case DType::F32:
    std::memcpy(dst, src, numel * sizeof(float));
    return;
  case DType::F64:
    for (size_t i = 0; i < numel; ++i) {
      double value;
      std::memcpy(&value, src + i * sizeof(double), sizeof(double));
      dst[i] = static_cast<float>(value);
    }
    return;
  case DType::F16:
    for (size_t i = 0; i < numel; ++i) {
      uint16_t bits;
      std::memcpy(&bits, src + i * 2, 2);
      dst[i] = halfToFloat(bits);
    }
    return;
  case DType::BF16:
    // bfloat16 is the top half of a float32.
    for (size_t i = 0; i < numel; ++i) {
      uint16_t half;
      std::memcpy(&half, src + i * 2, 2);
      uint32_t bits = static_cast<uint32_t>(half) << 16;
      std::memcpy(&dst[i], &bits, sizeof(float));
    }
    return;
  case DType::I8:
    return integersToF32<int8_t>(src, dst, numel);
  case DType::I16:
    return integersToF32<int16_t>(src, dst, numel);
  case DType::I32:
    return integersToF32<int32_t>(src, dst, numel);
  case DType::I64:
    return integersToF32<int64_t>(src, dst, numel);
  case DType::U8:
    return integersToF32<uint8_t>(src, dst, numel);
  case DType::U16:
    return integersToF32<uint16_t>(src, dst, numel);
  case DType::U32:
    return integersToF32<uint32_t>(src, dst, numel);
  case DType::U64:
    return integersToF32<uint64_t>(src, dst, numel);
  }
}

netc_status netc::readAsF32(const InputFile &file, uint64_t offset, DType dtype,
                            size_t numel, float *dst) {
  // float32 goes straight to its destination.
  if (dtype == DType::F32)
    return numel ? file.readAt(offset, dst, numel * sizeof(float)) : NETC_OK;
  return readElements(file, offset, dtypeSize(dtype), numel,
                      [&](const uint8_t *bytes, size_t first, size_t count) {
                        convertToF32(dtype, bytes, dst + first, count);
                        return NETC_OK;
                      });
}

bool netc::shapeNumel(const int64_t *shape, int32_t rank, int64_t &numel) {
  int64_t product = 1;
  for (int32_t i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(product, shape[i], &product))
      return false;
  numel = product;
  return true;
}

std::string netc::formatShape(const int64_t *shape, int32_t rank) {
  std::string text = "[";
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}
