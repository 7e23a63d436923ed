/*===- safetensors_tool.c - Load or save a conv's parameters --------------===
 *
 * The parameters of torch.nn.Sequential(nn.Conv2d(1, 2, 3)), described as a
 * generated model header would: `safetensors_tool load FILE` prints each
 * parameter's name and values, `safetensors_tool save FILE` writes
 * parameter i = 0.5 * i. On failure prints netc_last_error() and exits 1.
 *
 *===----------------------------------------------------------------------===*/

#include "netc-c/netc.h"

#include <stdio.h>
#include <string.h>

static const netc_param_info params[] = {
    {"0.weight", 0, 18, 4, {2, 1, 3, 3}},
    {"0.bias", 18, 2, 1, {2}},
};
static const netc_model_info model = {"conv", 20, 2, params, 3, {1, 5, 5},
                                      3,      {2, 3, 3}};

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  float *buffer = netc_params_create(&model);
  if (!buffer)
    return 1;
  netc_status status;
  if (strcmp(argv[1], "save") == 0) {
    for (int i = 0; i < model.param_floats; ++i)
      buffer[i] = 0.5f * (float)i;
    status = netc_params_save_safetensors(&model, argv[2], buffer);
  } else {
    status = netc_params_load_safetensors(&model, argv[2], buffer);
    for (int p = 0; status == NETC_OK && p < model.num_params; ++p) {
      printf("%s", params[p].name);
      for (int64_t i = 0; i < params[p].numel; ++i)
        printf(" %.9g", buffer[params[p].offset + i]);
      printf("\n");
    }
  }
  if (status != NETC_OK)
    fprintf(stderr, "%s\n", netc_last_error());
  netc_params_free(buffer);
  return status == NETC_OK ? 0 : 1;
}
