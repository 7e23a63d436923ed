/* A stand-in for libcuda.so.1, for testing the runtime's device layer on a
 * machine without a GPU: "device memory" is host memory. FAKE_CUDA_DEVICES
 * sets the device count (1 by default); FAKE_CUDA_FAIL names one function
 * that returns CUDA_ERROR_OUT_OF_MEMORY (2), or cuInit returns
 * CUDA_ERROR_NO_DEVICE (100) where it names cuInit. Only the functions the
 * runtime resolves are here. */
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static CUresult fails(const char *name) {
  const char *failing = getenv("FAKE_CUDA_FAIL");
  if (!failing || strcmp(failing, name) != 0)
    return 0;
  return strcmp(name, "cuInit") == 0 ? 100 : 2;
}

CUresult cuInit(unsigned flags) { (void)flags; return fails("cuInit"); }

CUresult cuDeviceGetCount(int *count) {
  const char *devices = getenv("FAKE_CUDA_DEVICES");
  *count = devices ? atoi(devices) : 1;
  return fails("cuDeviceGetCount");
}

CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return fails("cuDeviceGet");
}

CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "Fake GPU", (size_t)length);
  return fails("cuDeviceGetName");
}

static int context;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int device) {
  (void)device;
  *ctx = &context;
  return fails("cuDevicePrimaryCtxRetain");
}

CUresult cuCtxSetCurrent(void *ctx) {
  return ctx == &context ? fails("cuCtxSetCurrent") : 201;
}

CUresult cuCtxSynchronize(void) { return fails("cuCtxSynchronize"); }

CUresult cuMemAlloc_v2(CUdeviceptr *device, size_t bytes) {
  if (fails("cuMemAlloc_v2"))
    return 2;
  *device = (CUdeviceptr)(size_t)malloc(bytes);
  return 0;
}

CUresult cuMemFree_v2(CUdeviceptr device) {
  free((void *)(size_t)device);
  return fails("cuMemFree_v2");
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr device, const void *host, size_t bytes) {
  if (fails("cuMemcpyHtoD_v2"))
    return 2;
  memcpy((void *)(size_t)device, host, bytes);
  return 0;
}

CUresult cuMemcpyDtoH_v2(void *host, CUdeviceptr device, size_t bytes) {
  if (fails("cuMemcpyDtoH_v2"))
    return 2;
  memcpy(host, (const void *)(size_t)device, bytes);
  return 0;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  *name = error == 2     ? "CUDA_ERROR_OUT_OF_MEMORY"
          : error == 100 ? "CUDA_ERROR_NO_DEVICE"
                         : "CUDA_ERROR_UNKNOWN";
  return 0;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  *text = error == 2     ? "out of memory"
          : error == 100 ? "no CUDA-capable device is detected"
                         : "unknown error";
  return 0;
}
