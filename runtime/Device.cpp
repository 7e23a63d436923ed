//===- Device.cpp - NVIDIA GPUs through the CUDA driver
//--------------------===//
//
// The runtime loads the CUDA driver (libcuda.so.1) with dlopen the first
// time a device function is called: a program built with netc needs no CUDA
// to link, and runs where there is none, with an error that says so. Only
// the driver API is used, declared here with the types it needs (no CUDA
// headers). Every failure names the driver call and its error.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

using namespace netc;

namespace {
// The driver API's types (cuda.h), as the C ABI passes them.
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUdeviceptr = unsigned long long;
constexpr CUresult CUDA_SUCCESS = 0;

/// The driver's functions netc calls, resolved once.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuMemAlloc_v2)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree_v2)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD_v2)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH_v2)(void *, CUdeviceptr, size_t);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
};

/// The driver, the device and its context, set up once per process; or why
/// that failed (every later call fails the same way).
struct DeviceState {
  Driver driver{};
  CUcontext context = nullptr;
  char name[256] = "";
  netc_status status = NETC_OK;
  std::string error;
};

/// "cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
std::string describe(const Driver &driver, const char *call, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (driver.cuGetErrorName)
    driver.cuGetErrorName(result, &name);
  if (driver.cuGetErrorString)
    driver.cuGetErrorString(result, &text);
  std::string message = std::string(call) + ": " +
                        (name ? name : "CUDA error " + std::to_string(result));
  if (text)
    message += std::string(" (") + text + ")";
  return message;
}

/// Loads the driver and makes the device's primary context: device
/// NETC_CUDA_DEVICE (0 by default), from NETC_CUDA_DRIVER (libcuda.so.1 by
/// default; tests load a fake one).
void initialize(DeviceState &state) {
  auto fail = [&](std::string message) {
    state.status = NETC_ERROR_DEVICE;
    state.error = std::move(message);
  };
  const char *path = std::getenv("NETC_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return fail(std::string("cannot load the CUDA driver (") + path +
                "): " + dlerror() + "; is an NVIDIA driver installed?");
  Driver &d = state.driver;
  struct Symbol {
    void *slot;
    const char *name;
  };
  const Symbol symbols[] = {
      {&d.cuInit, "cuInit"},
      {&d.cuDeviceGetCount, "cuDeviceGetCount"},
      {&d.cuDeviceGet, "cuDeviceGet"},
      {&d.cuDeviceGetName, "cuDeviceGetName"},
      {&d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {&d.cuCtxSetCurrent, "cuCtxSetCurrent"},
      {&d.cuCtxSynchronize, "cuCtxSynchronize"},
      {&d.cuMemAlloc_v2, "cuMemAlloc_v2"},
      {&d.cuMemFree_v2, "cuMemFree_v2"},
      {&d.cuMemcpyHtoD_v2, "cuMemcpyHtoD_v2"},
      {&d.cuMemcpyDtoH_v2, "cuMemcpyDtoH_v2"},
      {&d.cuGetErrorName, "cuGetErrorName"},
      {&d.cuGetErrorString, "cuGetErrorString"},
  };
  for (const Symbol &symbol : symbols) {
    void *address = dlsym(library, symbol.name);
    if (!address)
      return fail(std::string("the CUDA driver (") + path + ") lacks " +
                  symbol.name);
    std::memcpy(symbol.slot, &address, sizeof(address));
  }

  if (CUresult r = d.cuInit(0))
    return fail(describe(d, "cuInit", r));
  int count = 0;
  if (CUresult r = d.cuDeviceGetCount(&count))
    return fail(describe(d, "cuDeviceGetCount", r));
  int ordinal = 0;
  if (const char *chosen = std::getenv("NETC_CUDA_DEVICE"); chosen && *chosen) {
    char *end = nullptr;
    long value = std::strtol(chosen, &end, 10);
    if (*end || value < 0 || value >= count)
      return fail(std::string("NETC_CUDA_DEVICE is '") + excerpt(chosen) +
                  "'; this machine has " + std::to_string(count) +
                  " CUDA device(s), numbered from 0");
    ordinal = static_cast<int>(value);
  } else if (count == 0) {
    return fail("the CUDA driver sees no device");
  }
  CUdevice device;
  if (CUresult r = d.cuDeviceGet(&device, ordinal))
    return fail(describe(d, "cuDeviceGet", r));
  if (CUresult r = d.cuDeviceGetName(state.name, sizeof(state.name), device))
    return fail(describe(d, "cuDeviceGetName", r));
  if (CUresult r = d.cuDevicePrimaryCtxRetain(&state.context, device))
    return fail(describe(d, "cuDevicePrimaryCtxRetain", r));
}

DeviceState &deviceState() {
  static DeviceState state;
  static std::once_flag once;
  std::call_once(once, [] { initialize(state); });
  return state;
}

/// The device, ready for driver calls on this thread; null (and the error
/// set, naming `caller`) if there is none.
const Driver *ready(const char *caller) {
  DeviceState &state = deviceState();
  if (state.status != NETC_OK) {
    setError(state.status, "%s: %s", caller, state.error.c_str());
    return nullptr;
  }
  thread_local bool current = false;
  if (!current) {
    if (CUresult r = state.driver.cuCtxSetCurrent(state.context)) {
      setError(NETC_ERROR_DEVICE, "%s: %s", caller,
               describe(state.driver, "cuCtxSetCurrent", r).c_str());
      return nullptr;
    }
    current = true;
  }
  return &state.driver;
}

/// NETC_OK, or NETC_ERROR_DEVICE naming `caller` and the driver call.
netc_status check(const Driver &driver, const char *caller, const char *call,
                  CUresult result) {
  if (result == CUDA_SUCCESS)
    return NETC_OK;
  return setError(NETC_ERROR_DEVICE, "%s: %s", caller,
                  describe(driver, call, result).c_str());
}

CUdeviceptr address(const void *device) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(device));
}
} // namespace

netc_status netc_device_init(void) {
  return ready("netc_device_init") ? NETC_OK : NETC_ERROR_DEVICE;
}

const char *netc_device_name(void) {
  DeviceState &state = deviceState();
  return state.status == NETC_OK ? state.name : "";
}

void *netc_device_alloc(size_t bytes) {
  const Driver *driver = ready("netc_device_alloc");
  if (!driver)
    return nullptr;
  if (bytes == 0) {
    setError(NETC_ERROR_INVALID_ARGUMENT, "netc_device_alloc: 0 bytes");
    return nullptr;
  }
  CUdeviceptr device = 0;
  if (check(*driver, "netc_device_alloc", "cuMemAlloc_v2",
            driver->cuMemAlloc_v2(&device, bytes)) != NETC_OK)
    return nullptr;
  return reinterpret_cast<void *>(static_cast<uintptr_t>(device));
}

netc_status netc_device_free(void *device) {
  if (!device)
    return NETC_OK;
  const Driver *driver = ready("netc_device_free");
  if (!driver)
    return NETC_ERROR_DEVICE;
  return check(*driver, "netc_device_free", "cuMemFree_v2",
               driver->cuMemFree_v2(address(device)));
}

/// Checks a copy's arguments, then has `copy(driver)` make it by the driver
/// call `call`; errors name `caller`.
template <typename Copy>
static netc_status copyBytes(const char *caller, const char *call,
                             const void *device, const void *host, size_t bytes,
                             Copy copy) {
  if (bytes == 0)
    return NETC_OK;
  if (!device || !host)
    return setError(NETC_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", caller,
                    !device ? "device" : "host");
  const Driver *driver = ready(caller);
  if (!driver)
    return NETC_ERROR_DEVICE;
  return check(*driver, caller, call, copy(*driver));
}

netc_status netc_device_copy_to_device(void *device, const void *host,
                                       size_t bytes) {
  return copyBytes("netc_device_copy_to_device", "cuMemcpyHtoD_v2", device,
                   host, bytes, [&](const Driver &driver) {
                     return driver.cuMemcpyHtoD_v2(address(device), host,
                                                   bytes);
                   });
}

netc_status netc_device_copy_to_host(void *host, const void *device,
                                     size_t bytes) {
  return copyBytes("netc_device_copy_to_host", "cuMemcpyDtoH_v2", device, host,
                   bytes, [&](const Driver &driver) {
                     return driver.cuMemcpyDtoH_v2(host, address(device),
                                                   bytes);
                   });
}

netc_status netc_device_synchronize(void) {
  const Driver *driver = ready("netc_device_synchronize");
  if (!driver)
    return NETC_ERROR_DEVICE;
  return check(*driver, "netc_device_synchronize", "cuCtxSynchronize",
               driver->cuCtxSynchronize());
}
