/*===- npy_tool.c - Load or save a .npy file through the runtime ----------===
 *
 * `npy_tool load FILE` prints the rank, shape and values of FILE;
 * `npy_tool save FILE` writes a 2x2 float32 array with known values;
 * `npy_tool labels FILE CLASSES` prints the count and values of the class
 * labels in FILE. On failure prints netc_last_error() to stderr and exits 1.
 *
 *===----------------------------------------------------------------------===*/

#include "netc-c/netc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "labels") == 0) {
    int32_t *labels;
    int64_t count;
    if (netc_labels_load_npy(argv[2], atoll(argv[3]), &labels, &count) !=
        NETC_OK) {
      fprintf(stderr, "%s\n", netc_last_error());
      return 1;
    }
    printf("count %lld\n", (long long)count);
    for (int64_t i = 0; i < count; ++i)
      printf("%s%d", i ? " " : "", labels[i]);
    printf("\n");
    netc_labels_free(labels);
    return 0;
  }
  if (argc != 3)
    return 2;
  if (strcmp(argv[1], "save") == 0) {
    const float data[] = {1.5f, -2.0f, 3.25f, 0.125f};
    const int64_t shape[] = {2, 2};
    if (netc_array_save_npy(argv[2], data, 2, shape) != NETC_OK) {
      fprintf(stderr, "%s\n", netc_last_error());
      return 1;
    }
    return 0;
  }
  netc_array array;
  if (netc_array_load_npy(argv[2], &array) != NETC_OK) {
    fprintf(stderr, "%s\n", netc_last_error());
    return 1;
  }
  int64_t numel = 1;
  printf("rank %d shape", array.rank);
  for (int32_t i = 0; i < array.rank; ++i) {
    printf(" %lld", (long long)array.shape[i]);
    numel *= array.shape[i];
  }
  printf("\n");
  for (int64_t i = 0; i < numel; ++i)
    printf("%s%.9g", i ? " " : "", array.data[i]);
  printf("\n");
  netc_array_free(&array);
  return 0;
}
