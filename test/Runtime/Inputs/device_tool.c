/* Exercises the runtime's device functions and prints what each returned:
 * a round trip of 1000 floats through device memory, then the errors of bad
 * arguments. */
#include "netc-c/netc.h"

#include <stdio.h>

static void report(const char *what, int status) {
  printf("%s: %s", what, netc_status_string(status));
  if (status != NETC_OK)
    printf(" (%s)", netc_last_error());
  printf("\n");
}

int main(void) {
  report("init", netc_device_init());
  printf("name: '%s'\n", netc_device_name());
  float host[1000], back[1000];
  for (int i = 0; i < 1000; ++i) {
    host[i] = (float)i / 8;
    back[i] = -1;
  }
  void *device = netc_device_alloc(sizeof host);
  report("alloc", device ? NETC_OK : NETC_ERROR_DEVICE);
  if (!device)
    return 0;
  report("to device", netc_device_copy_to_device(device, host, sizeof host));
  report("to host", netc_device_copy_to_host(back, device, sizeof back));
  int same = 1;
  for (int i = 0; i < 1000; ++i)
    same &= back[i] == host[i];
  printf("round trip: %s\n", same ? "same" : "different");
  report("synchronize", netc_device_synchronize());
  report("free", netc_device_free(device));
  report("NULL host", netc_device_copy_to_host(NULL, device, 4));
  report("no bytes", netc_device_alloc(0) ? NETC_OK : NETC_ERROR_INVALID_ARGUMENT);
  return 0;
}
