/*===- netc.h - netc runtime C API -----------------------------------------===
 *
 * The small runtime a netc-compiled model links against. Compute lives in
 * the object `netc compile` emits; this library only moves data: parameter
 * storage, safetensors weights by PyTorch state_dict name, .npy arrays,
 * seeded PyTorch-style initialisation and IDX (MNIST) datasets.
 *
 * A generated model header (`netc compile --emit=header`) includes this file
 * and describes its model with a netc_model_info. Typical use:
 *
 *   #include "mnist_net.h"
 *   float *params = netc_params_create(&mnist_net_info);
 *   if (netc_params_load_safetensors(&mnist_net_info, "w.safetensors",
 *                                    params) != NETC_OK) {
 *     fprintf(stderr, "%s\n", netc_last_error());
 *     return 1;
 *   }
 *   float input[2 * 784], output[2 * 10];       // a batch of two samples
 *   ...fill input...
 *   mnist_net_forward(params, input, output, 2);
 *   netc_params_free(params);
 *
 * Threading: functions keep no shared state except the calling thread's last
 * error message. A model's forward function may run on several threads at
 * once with the same parameters.
 *===----------------------------------------------------------------------===*/
#ifndef NETC_C_NETC_H
#define NETC_C_NETC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NETC_API __attribute__((visibility("default")))
#else
#define NETC_API
#endif

/* ====== Status ====== */

typedef enum netc_status {
  NETC_OK = 0,
  NETC_ERROR_IO = 1,               /* a file could not be opened/read/written */
  NETC_ERROR_FORMAT = 2,           /* a file is corrupt or not of its format */
  NETC_ERROR_MISMATCH = 3,         /* a tensor's name, shape or dtype differs */
  NETC_ERROR_OUT_OF_MEMORY = 4,
  NETC_ERROR_INVALID_ARGUMENT = 5,
  NETC_ERROR_DIVERGED = 6,         /* a training step's loss was NaN or inf */
} netc_status;

/* A short constant description of `status`. */
NETC_API const char *netc_status_string(netc_status status);

/* The message of the last failed call on this thread: what failed, in which
 * file, and why. Valid until the next netc call on this thread. */
NETC_API const char *netc_last_error(void);

/* ====== Model description (filled in by the generated header) ====== */

#define NETC_MAX_RANK 5

/* How a parameter starts out, as PyTorch initialises its layer kind. */
typedef enum netc_init {
  NETC_INIT_ZEROS = 0,   /* biases of batch norm, running means */
  NETC_INIT_ONES = 1,    /* batch norm weights, running variances */
  NETC_INIT_UNIFORM = 2, /* U(-init_bound, init_bound): conv/linear weights
                            and biases, init_bound = 1 / sqrt(fan_in) */
} netc_init;

typedef struct netc_param_info {
  const char *name;              /* PyTorch state_dict name, "conv1.weight" */
  int64_t offset;                /* offset in the parameter buffer, floats */
  int64_t numel;                 /* number of elements */
  int32_t rank;
  int64_t shape[NETC_MAX_RANK];  /* PyTorch shape, first `rank` entries */
  int32_t init;                  /* a netc_init */
  float init_bound;              /* for NETC_INIT_UNIFORM */
  int32_t is_buffer;             /* 1 for running statistics: saved and
                                    loaded, but not trained */
} netc_param_info;

typedef struct netc_model_info {
  const char *name;
  int64_t param_floats;          /* parameter buffer size, floats */
  int32_t num_params;
  const netc_param_info *params; /* in buffer order */
  int32_t input_rank;            /* per-sample rank (no batch dimension) */
  int64_t input_shape[NETC_MAX_RANK];
  int32_t output_rank;
  int64_t output_shape[NETC_MAX_RANK];
} netc_model_info;

/* ====== Parameter storage ====== */

/* Allocates a zeroed, 64-byte-aligned parameter buffer of
 * model->param_floats floats (4 * param_floats bytes). Caller owns it and
 * frees it with netc_params_free. NULL when out of memory. */
NETC_API float *netc_params_create(const netc_model_info *model);
NETC_API void netc_params_free(float *params);

/* Loads every parameter of `model` from a safetensors file by its state_dict
 * name into `params`. Tensors must be F32 (F64/F16/BF16 are converted) with
 * the exact shape; extra tensors (e.g. num_batches_tracked) are ignored, a
 * missing one is an error naming it. */
NETC_API netc_status netc_params_load_safetensors(const netc_model_info *model,
                                                  const char *path,
                                                  float *params);

/* Saves every parameter of `model` to a safetensors file (F32, state_dict
 * names), atomically: a temporary file renamed over `path`. */
NETC_API netc_status netc_params_save_safetensors(const netc_model_info *model,
                                                  const char *path,
                                                  const float *params);

/* ====== Arrays (.npy) ====== */

typedef struct netc_array {
  float *data;                   /* owned; free with netc_array_free */
  int32_t rank;
  int64_t shape[NETC_MAX_RANK];
} netc_array;

/* Reads a C-ordered .npy file of float32 (float64 is converted). */
NETC_API netc_status netc_array_load_npy(const char *path, netc_array *out);
/* Writes `rank` dims of `shape` from `data` as a float32 .npy file. */
NETC_API netc_status netc_array_save_npy(const char *path, const float *data,
                                         int32_t rank, const int64_t *shape);
NETC_API void netc_array_free(netc_array *array);

/* ====== Random numbers and initialisation ======
 *
 * Every random draw in the runtime comes from PCG32 (O'Neill's pcg32, XSH-RR
 * output, 64-bit state), seeded exactly as the reference pcg32_srandom_r:
 *
 *   state = 0; inc = (stream << 1) | 1; next(); state += seed; next();
 *   next(): old = state; state = old * 6364136223846793005 + inc;
 *           x = (uint32_t)(((old >> 18) ^ old) >> 27); r = old >> 59;
 *           return (x >> r) | (x << ((32 - r) & 31));
 *
 * Only integer arithmetic and one float32 multiply per value are involved,
 * so the same seed gives the same bits on every platform and build. */

/* Initialises every parameter of `model` in `params` (a buffer of
 * model->param_floats floats, e.g. from netc_params_create) as its `init`
 * says; floats between parameters are not touched.
 *
 *   NETC_INIT_ZEROS    0.0f
 *   NETC_INIT_ONES     1.0f
 *   NETC_INIT_UNIFORM  U[-b, b) with b = init_bound: PyTorch's default for
 *                      conv/linear weights (kaiming_uniform with a = sqrt(5),
 *                      b = 1/sqrt(fan_in)) and biases (the same b).
 *
 * Parameter i (its index in model->params) draws from its own PCG32 stream
 * (seed, stream = i), so its values depend only on `seed`, `i`, its numel
 * and bound, not on the other parameters. Element k takes the k-th draw r:
 *
 *   value = b * ((float)((int32_t)(r >> 8) - (1 << 23)) * 0x1p-23f)
 *
 * i.e. 24 random bits as a multiple of 2^-23 in [-1, 1) (exact in float32),
 * then one correctly rounded float32 multiply, so |value| <= b. The values
 * differ from PyTorch's (a different generator), not their distribution.
 *
 * Checks the whole model first (parameters inside the buffer, known `init`,
 * finite init_bound >= 0); on failure nothing is written and the error is
 * NETC_ERROR_INVALID_ARGUMENT. */
NETC_API netc_status netc_params_init(const netc_model_info *model,
                                      uint64_t seed, float *params);

/* Shuffles the `n` values at `indices` in place (fill them with 0..n-1 for a
 * random permutation, or with a subset such as a training split): Fisher-
 * Yates from the last element down, with PCG32 (seed, stream 2^63 - 1, which
 * no parameter index reaches). For i = n-1 down to 1, j uniform in [0, i]
 * comes from pcg32_boundedrand_r with bound i + 1: thresh = (2^32 - bound)
 * mod bound, draw r until r >= thresh, j = r mod bound. (Bounds of 2^32
 * and above do the same modulo 2^64 with 64-bit draws, (first r << 32) |
 * second r.) Then indices[i] and indices[j] swap. Reproducible bit for
 * bit; use seed + epoch for a new order each epoch.
 * NETC_ERROR_INVALID_ARGUMENT if n < 0 or indices is NULL with n > 0. */
NETC_API netc_status netc_shuffle_indices(int64_t *indices, int64_t n,
                                          uint64_t seed);

/* ====== Datasets (IDX: MNIST, Fashion-MNIST) ======
 *
 * An IDX file is a big-endian header, then raw bytes: magic 0x00000803
 * (2051; unsigned bytes, 3 dims) and count, rows, cols for images, or
 * magic 0x00000801 (2049; 1 dim) and count for labels, one byte each
 * (0..9). Files may be gzipped (detected by their first bytes, 1f 8b) or
 * plain. Typical training loop:
 *
 *   netc_dataset *train;
 *   if (netc_dataset_load_idx("data/mnist/train-images-idx3-ubyte.gz",
 *                             "data/mnist/train-labels-idx1-ubyte.gz",
 *                             &train) != NETC_OK) ...netc_last_error()...
 *   int64_t n = netc_dataset_size(train), *order = malloc(n * 8);
 *   for (int64_t i = 0; i < n; ++i) order[i] = i;
 *   netc_shuffle_indices(order, n, seed + epoch);
 *   for (int64_t b = 0; b + 64 <= n; b += 64)
 *     netc_dataset_get_batch(train, order + b, 64, 0.1307f, 0.3081f,
 *                            images, labels);   // 64*28*28 floats, 64 ints
 *   netc_dataset_free(train);
 *
 * Threading: a dataset does not change after loading; any number of threads
 * may call the const functions on it at once. */

/* A loaded data set: images and (optionally) their labels, kept as bytes. */
typedef struct netc_dataset netc_dataset;

/* Loads an IDX image file and, unless `labels_path` is NULL (images only),
 * its IDX label file; each may be gzipped or plain. On success `*out` is a
 * dataset the caller owns and frees with netc_dataset_free; on failure
 * `*out` is NULL and the error names the file: bad magic, an element type
 * other than unsigned byte, a wrong number of dimensions, a zero image
 * size, data shorter or longer than the header says, a corrupt or truncated
 * gzip stream, image and label counts that differ, or a label outside 0..9
 * (with its value and index). */
NETC_API netc_status netc_dataset_load_idx(const char *images_path,
                                           const char *labels_path,
                                           netc_dataset **out);
/* Frees a dataset; NULL is ignored. */
NETC_API void netc_dataset_free(netc_dataset *dataset);

/* Number of samples (images), or -1 if `dataset` is NULL. */
NETC_API int64_t netc_dataset_size(const netc_dataset *dataset);
/* 1 if the dataset has labels, 0 if it was loaded images-only or is NULL. */
NETC_API int32_t netc_dataset_has_labels(const netc_dataset *dataset);
/* Stores the image size, pixels (28 and 28 for MNIST), in *rows, *cols. */
NETC_API netc_status netc_dataset_image_shape(const netc_dataset *dataset,
                                              int64_t *rows, int64_t *cols);

/* Gathers the `count` samples at `indices` (each in 0..size-1) into
 * `images` (count * rows * cols floats, caller-owned; NCHW with C = 1) as
 *
 *   (float)pixel / 255.0f, minus mean, divided by stddev (float32 steps)
 *
 * which are torchvision's ToTensor() and Normalize((mean,), (stddev,)) bit
 * for bit (mean 0, stddev 1 give pixel / 255), and their labels into `labels`
 * (count int32s; NULL to skip, and NULL required when the dataset has no
 * labels). Checks every index, that stddev is finite and > 0 and mean finite
 * before writing anything (NETC_ERROR_INVALID_ARGUMENT). */
NETC_API netc_status netc_dataset_get_batch(const netc_dataset *dataset,
                                            const int64_t *indices,
                                            int64_t count, float mean,
                                            float stddev, float *images,
                                            int32_t *labels);

/* ====== Compiled entry points ======
 *
 * What `netc compile` emits for a model `m` (its header declares them with
 * the model's name; the target is `const int32_t *labels` (N) for a model
 * trained with cross entropy, `const float *target` (N, *output) for mse):
 *
 *   void m_forward(const float *params, const float *input, float *output,
 *                  int64_t batch);
 *   void m_backward(const float *params, const float *input,
 *                   const void *target, int64_t batch, uint64_t seed,
 *                   float *grads, float *loss, float *input_grad);
 *   void m_sgd_step(float *params, float *momentum, const float *input,
 *                   const void *target, int64_t batch, uint64_t seed,
 *                   const float *hparams, float *loss);
 *   void m_adam_step(float *params, float *exp_avg, float *exp_avg_sq,
 *                    const float *input, const void *target, int64_t batch,
 *                    uint64_t seed, const float *hparams, float *loss);
 *
 * All run the training form of the model (batch statistics, dropout masks
 * drawn from `seed`). `grads`, `momentum`, `exp_avg` and `exp_avg_sq` are laid
 * out like `params`; in `grads` (and after a step, in `params`) the slot of a
 * buffer (a running statistic) holds its updated value, not a gradient.
 * `loss` receives one float (the batch mean), `input_grad` batch * input
 * floats. The hparams arrays are indexed by the enums below; the runtime's
 * trainer fills them (and counts steps), but a program may call the steps
 * directly. */

typedef enum netc_sgd_hparam {
  NETC_SGD_LR,
  NETC_SGD_MOMENTUM,
  NETC_SGD_DAMPENING,
  NETC_SGD_WEIGHT_DECAY,
  NETC_SGD_NESTEROV,   /* 0 or 1 */
  NETC_SGD_FIRST_STEP, /* 1 on the first step: the momentum buffer starts
                          as the gradient, as in torch.optim.SGD */
  NETC_SGD_HPARAMS     /* the array's length */
} netc_sgd_hparam;

typedef enum netc_adam_hparam {
  NETC_ADAM_LR,
  NETC_ADAM_BETA1,
  NETC_ADAM_BETA2,
  NETC_ADAM_EPS,
  NETC_ADAM_WEIGHT_DECAY,
  NETC_ADAM_DECOUPLED,         /* 1: AdamW's decoupled weight decay */
  NETC_ADAM_BIAS_CORRECTION1,  /* 1 - beta1^step, step counted from 1 */
  NETC_ADAM_BIAS_CORRECTION2,  /* 1 - beta2^step */
  NETC_ADAM_HPARAMS
} netc_adam_hparam;

typedef void (*netc_forward_fn)(const float *params, const float *input,
                                float *output, int64_t batch);
typedef void (*netc_sgd_step_fn)(float *params, float *momentum,
                                 const float *input, const void *target,
                                 int64_t batch, uint64_t seed,
                                 const float *hparams, float *loss);
typedef void (*netc_adam_step_fn)(float *params, float *exp_avg,
                                  float *exp_avg_sq, const float *input,
                                  const void *target, int64_t batch,
                                  uint64_t seed, const float *hparams,
                                  float *loss);

#ifdef __cplusplus
}
#endif

#endif /* NETC_C_NETC_H */
