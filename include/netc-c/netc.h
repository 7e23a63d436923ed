/*===- netc.h - netc runtime C API -----------------------------------------===
 *
 * The small runtime a netc-compiled model links against. Compute lives in
 * the object `netc compile` emits; this library only moves data: parameter
 * storage, safetensors weights by PyTorch state_dict name, .npy arrays,
 * seeded PyTorch-style initialisation, IDX (MNIST) datasets, and training
 * around the compiled step functions (trainer, checkpoints, fit loop, plots).
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
 * error message (and netc_progress_bar's per-thread pacing of log lines). A
 * model's forward function may run on several threads at once with the same
 * parameters.
 *
 * Files: every loader opens its file without blocking and refuses one that
 * is not a regular file (a FIFO, a directory, a device: NETC_ERROR_IO "x:
 * not a regular file (a fifo)"). It reads the header first, checks what the
 * header declares against what the file can hold, and only then allocates
 * and reads that much, so no file makes it allocate more than it holds
 * (or, gzipped, can inflate to). JSON read from files may nest at most 64
 * levels deep.
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
  NETC_ERROR_IO = 1,       /* a file could not be opened/read/written */
  NETC_ERROR_FORMAT = 2,   /* a file is corrupt or not of its format */
  NETC_ERROR_MISMATCH = 3, /* a tensor's name, shape or dtype differs */
  NETC_ERROR_OUT_OF_MEMORY = 4,
  NETC_ERROR_INVALID_ARGUMENT = 5,
  NETC_ERROR_DIVERGED = 6, /* a training step's loss was NaN or inf */
  NETC_ERROR_DEVICE = 7,   /* no usable GPU, or its driver failed */
} netc_status;

/* A short constant description of `status` (a netc_status; "unknown status"
 * for any other value). An int, so that a value outside the enum is
 * well-defined to pass; ABI-compatible with netc_status. */
NETC_API const char *netc_status_string(int status);

/* The message of the last failed call on this thread: what failed, in which
 * file, and why. Valid until the next netc call on this thread. */
NETC_API const char *netc_last_error(void);

/* For compiled models: records `message` (a C string) as this thread's last
 * error and returns `status`. An entry point calls it when it refuses its
 * arguments. */
NETC_API int netc_entry_point_error(int status, const char *message);

/* For compiled models: where malloc cannot give an entry point the memory
 * for its temporaries, it calls this, which writes "netc: out of memory:
 * ..." with the size to stderr and aborts the process. */
NETC_API void netc_out_of_memory(int64_t bytes) __attribute__((noreturn));

/* ====== Devices (NVIDIA GPUs) ======
 *
 * The runtime reaches an NVIDIA GPU through the CUDA driver, which it loads
 * with dlopen the first time one of these is called: a program needs no
 * CUDA to build or link, and where there is no driver or no GPU these fail
 * with NETC_ERROR_DEVICE and a message that says so. Every failure of the
 * driver names its call and error ("netc_device_alloc: cuMemAlloc_v2:
 * CUDA_ERROR_OUT_OF_MEMORY (out of memory)"). The environment variable
 * NETC_CUDA_DEVICE picks the device (0 by default); NETC_CUDA_DRIVER loads
 * the driver from another path than libcuda.so.1. Device pointers are
 * opaque to the host: copy to and from them. Safe to call from several
 * threads. */

/* Loads the driver and opens the device, once per process: NETC_OK, or why
 * there is no device. The calls below do it when first needed. */
NETC_API netc_status netc_device_init(void);
/* The device's name ("NVIDIA H100 80GB HBM3"); "" without one. */
NETC_API const char *netc_device_name(void);
/* `bytes` (> 0) of device memory; NULL on failure (netc_last_error). */
NETC_API void *netc_device_alloc(size_t bytes);
/* Frees what netc_device_alloc returned; NULL is a no-op. */
NETC_API netc_status netc_device_free(void *device);
NETC_API netc_status netc_device_copy_to_device(void *device, const void *host,
                                                size_t bytes);
NETC_API netc_status netc_device_copy_to_host(void *host, const void *device,
                                              size_t bytes);
/* Waits for the device's work to finish. */
NETC_API netc_status netc_device_synchronize(void);

/* ====== Threads ====== */

/* Generated code runs its batch and channel loops on LLVM's OpenMP runtime
 * (libomp; `netc --libs` links it). All cores by default; the environment
 * variable NETC_NUM_THREADS (read when the runtime loads; OMP_NUM_THREADS
 * also works) or netc_set_num_threads choose fewer. Results are
 * bit-identical from run to run, and the same at any thread count: a
 * training step cuts its batch into ranges of samples by the batch size
 * alone, and sums their gradients in range order.
 *
 * Heap: a train step frees megabytes of temporaries and allocates them again
 * in the next step. When it loads, the runtime has glibc (mallopt) take
 * every block from the heap, none from a fresh mapping, and keep up to 1 GiB
 * of it free, so that the freed memory is reused instead of being returned
 * to the system and faulted in again; NETC_KEEP_HEAP=0 in the environment
 * keeps glibc's defaults. */
NETC_API netc_status netc_set_num_threads(int threads); /* threads >= 1 */
NETC_API int netc_get_num_threads(void);

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
  int64_t offset;                /* offset in the parameter buffer, floats:
                                    a multiple of 16. The floats between two
                                    parameters are padding that nothing
                                    reads; the optimizer steps update it
                                    with the parameters around it. */
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
 * missing one is an error naming it. Reads the header (at most 100,000,000
 * bytes, the safetensors limit) and checks all of it before it reads each
 * parameter's data from the file into its place, so a failed load leaves
 * `params` as it was, except after an I/O error midway (the file shrinking
 * under the load). A PyTorch .pt file (torch.save's zip archive or pickle) is
 * NETC_ERROR_FORMAT "x.pt: this is a PyTorch file (torch.save: zip archive),
 * not safetensors; convert it with scripts/torch_to_safetensors.py (see
 * docs/runtime.md)". `params` may be NULL when model->param_floats is 0. */
NETC_API netc_status netc_params_load_safetensors(const netc_model_info *model,
                                                  const char *path,
                                                  float *params);

/* Saves every parameter of `model` to a safetensors file (F32, state_dict
 * names), atomically: a temporary file `<path>.tmp.<pid>` renamed over
 * `path`. Temporaries of `path` that writers killed midway left behind (whose
 * pid no longer exists) are removed first. `params` may be NULL when
 * model->param_floats is 0. */
NETC_API netc_status netc_params_save_safetensors(const netc_model_info *model,
                                                  const char *path,
                                                  const float *params);

/* ====== Arrays (.npy) ====== */

typedef struct netc_array {
  float *data;                   /* owned; free with netc_array_free */
  int32_t rank;
  int64_t shape[NETC_MAX_RANK];
} netc_array;

/* Reads a C-ordered little-endian .npy file (format 1.0 to 3.0, a header of
 * at most 1 MiB) of float32 as it is, or of float64 or an integer type
 * ('|i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4', '<u8': uint8 images, say)
 * converted to float32 by rounding to nearest: integers above 2^24 in
 * magnitude may round. The file must hold exactly the data its shape
 * describes; rank 0 to NETC_MAX_RANK. */
NETC_API netc_status netc_array_load_npy(const char *path, netc_array *out);
/* Writes `rank` dims of `shape` from `data` as a float32 .npy file. */
NETC_API netc_status netc_array_save_npy(const char *path, const float *data,
                                         int32_t rank, const int64_t *shape);
NETC_API void netc_array_free(netc_array *array);

/* Reads class labels from a 1-D .npy file exactly, with no float round trip:
 * int8 to int64 and uint8 to uint64 ('|i1', '<i2', '<i4', '<i8', '|u1', '<u2',
 * '<u4', '<u8'; np.save of a torch LongTensor's numpy() is '<i8'), or float32
 * and float64 holding whole numbers. Every label must lie in
 * 0..num_classes-1 (1 <= num_classes <= 2^31); on success `*labels` holds
 * `*count` int32s, owned by the caller and freed with netc_labels_free (an
 * empty array gives a non-NULL pointer and count 0). On failure `*labels` is
 * NULL and `*count` 0: NETC_ERROR_FORMAT naming the file, index and value
 * ("labels.npy: label 7 at index 3 is outside 0..4", "label 2.5 at index 1
 * is not a whole number") or the dtype; NETC_ERROR_MISMATCH for another rank
 * ("labels.npy: labels must be a 1-D array, the file holds shape [2, 3]"). */
NETC_API netc_status netc_labels_load_npy(const char *path,
                                          int64_t num_classes,
                                          int32_t **labels, int64_t *count);
/* Frees labels from netc_labels_load_npy; NULL is ignored. */
NETC_API void netc_labels_free(int32_t *labels);

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
 * NETC_ERROR_INVALID_ARGUMENT. `params` may be NULL when model->param_floats
 * is 0. */
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
 * plain. The header is read first: a plain file must hold exactly the data it
 * declares, and a gzipped one is refused at once if the data exceeds what
 * deflate can expand its size to (1032:1); then exactly the declared data is
 * inflated and the stream must end there ("x.gz: the gzip stream holds more
 * data than the 3 labels the header describes"), without inflating the
 * rest. Typical training loop:
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
 *   int m_forward(const float *params, const float *input, float *output,
 *                 int64_t batch);
 *   int m_backward(const float *params, const float *input,
 *                  const void *target, int64_t batch, uint64_t seed,
 *                  float *grads, float *loss, float *input_grad);
 *   int m_sgd_step(float *params, float *momentum, const float *input,
 *                  const void *target, int64_t batch, uint64_t seed,
 *                  const float *hparams, float *loss);
 *   int m_adam_step(float *params, float *exp_avg, float *exp_avg_sq,
 *                   const float *input, const void *target, int64_t batch,
 *                   uint64_t seed, const float *hparams, float *loss);
 *
 * Each returns a netc_status: NETC_OK, or NETC_ERROR_INVALID_ARGUMENT,
 * computing nothing, for a batch below 0 (m_forward) or 1 (the others,
 * whose mean loss over no samples would make every parameter NaN), a batch
 * so large that a buffer's size in bytes would overflow 64 bits, or a NULL
 * pointer (m_forward's input and output may be NULL at batch 0, the
 * parameter-layout buffers of a model without parameters, and `input_grad`
 * always); netc_last_error then names the function and the argument. A
 * forward pass of 0 samples computes nothing.
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

typedef int (*netc_forward_fn)(const float *params, const float *input,
                               float *output, int64_t batch);
typedef int (*netc_sgd_step_fn)(float *params, float *momentum,
                                const float *input, const void *target,
                                int64_t batch, uint64_t seed,
                                const float *hparams, float *loss);
typedef int (*netc_adam_step_fn)(float *params, float *exp_avg,
                                 float *exp_avg_sq, const float *input,
                                 const void *target, int64_t batch,
                                 uint64_t seed, const float *hparams,
                                 float *loss);

/* ====== Training: optimizer options ======
 *
 * The options of torch.optim.SGD, Adam and AdamW, checked as PyTorch checks
 * them. Training is layered as in ggml-opt: a low-level trainer that runs
 * one step at a time (netc_trainer_step), then the high-level netc_fit loop
 * over a dataset with checkpoints, resume and progress reports. Neither
 * computes a tensor: the compiled m_sgd_step / m_adam_step / m_forward do. */

typedef enum netc_optimizer_kind {
  NETC_OPTIMIZER_SGD = 0,   /* torch.optim.SGD */
  NETC_OPTIMIZER_ADAM = 1,  /* torch.optim.Adam: weight decay added to the
                               gradient (L2) */
  NETC_OPTIMIZER_ADAMW = 2, /* torch.optim.AdamW: decoupled weight decay */
} netc_optimizer_kind;

/* Optimizer hyperparameters, as doubles like PyTorch's Python floats; the
 * trainer rounds them to float32 for the compiled step. Fields a kind does
 * not use are ignored (momentum, dampening and nesterov by Adam; the betas
 * and eps by SGD). */
typedef struct netc_optimizer_options {
  int32_t kind;        /* a netc_optimizer_kind */
  double lr;           /* learning rate, >= 0 */
  double momentum;     /* SGD, >= 0; 0 disables the momentum buffer */
  double dampening;    /* SGD */
  double weight_decay; /* >= 0 */
  int32_t nesterov;    /* SGD, 0 or 1: needs momentum > 0, dampening 0 */
  double beta1;        /* Adam/AdamW, in [0, 1) */
  double beta2;        /* Adam/AdamW, in [0, 1) */
  double eps;          /* Adam/AdamW, >= 0 */
} netc_optimizer_options;

/* PyTorch's defaults for `kind`: momentum 0, dampening 0, weight_decay 0,
 * nesterov 0; betas (0.9, 0.999), eps 1e-8, lr 1e-3 for Adam and AdamW, and
 * weight_decay 1e-2 for AdamW. torch.optim.SGD has no default learning rate
 * (lr is required); netc uses 0.01 so that the defaults are usable. An
 * unknown `kind` gets the SGD defaults with that kind, which
 * netc_optimizer_options_check then refuses. `kind` is an int32_t holding a
 * netc_optimizer_kind, as in the struct, so that any value is well-defined
 * to pass. */
NETC_API netc_optimizer_options netc_optimizer_options_default(int32_t kind);

/* Checks `options` as torch.optim's constructors do, with their messages
 * (values as Python prints them, e.g. "Invalid learning rate: -0.1"):
 *
 *   lr >= 0                   "Invalid learning rate: <lr>"
 *   SGD: momentum >= 0        "Invalid momentum value: <momentum>"
 *   weight_decay >= 0         "Invalid weight_decay value: <weight_decay>"
 *   SGD nesterov: momentum > 0 and dampening == 0
 *                             "Nesterov momentum requires a momentum and
 *                              zero dampening"
 *   Adam(W): eps >= 0         "Invalid epsilon value: <eps>"
 *   Adam(W): 0 <= beta1 < 1   "Invalid beta parameter at index 0: <beta1>"
 *   Adam(W): 0 <= beta2 < 1   "Invalid beta parameter at index 1: <beta2>"
 *
 * Beyond PyTorch, NaN and infinite values (and nesterov other than 0 or 1,
 * an unknown kind) are refused too. NETC_ERROR_INVALID_ARGUMENT on failure,
 * the message in netc_last_error(). */
NETC_API netc_status
netc_optimizer_options_check(const netc_optimizer_options *options);

/* ====== Training: the trainer (low level) ======
 *
 * A trainer owns a model's parameters, its optimizer state and the step
 * count, and calls the compiled step function once per netc_trainer_step:
 *
 *   netc_optimizer_options options =
 *       netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
 *   options.lr = 0.01; options.momentum = 0.9;
 *   netc_trainer *trainer;
 *   if (netc_trainer_create(&m_info, &m_entry_points, &options, 42, &trainer))
 *     ...netc_last_error()...
 *   float loss;
 *   netc_trainer_step(trainer, images, labels, 64, &loss);
 *   netc_trainer_save_checkpoint(trainer, "m.ckpt.safetensors");
 *   netc_trainer_free(trainer);
 *
 * m_entry_points (in the model's header) holds the model's entry points
 * with these function types. Threading: a trainer is used by one thread at a
 * time. */

/* A model's compiled entry points. Only the step of the optimizer kind in
 * use is required; `forward` is needed to measure test accuracy in
 * netc_fit. Functions a trainer never calls may be NULL. */
typedef struct netc_model_entry_points {
  netc_forward_fn forward;
  netc_sgd_step_fn sgd_step;
  netc_adam_step_fn adam_step;
} netc_model_entry_points;

/* Parameters, optimizer state, step count, fit position and history. */
typedef struct netc_trainer netc_trainer;

/* SplitMix64 (Steele, Lea, Flood 2014): the `index`-th output (from 1) of
 * the generator seeded with `seed`,
 *
 *   z = seed + index * 0x9e3779b97f4a7c15;
 *   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
 *   z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 *   return z ^ (z >> 31);
 *
 * The trainer derives step t's dropout seed as netc_seed_derive(seed, t)
 * and netc_fit epoch e's shuffle seed as netc_seed_derive(shuffle_seed,
 * e + 1), so neighbouring seeds give unrelated streams. */
NETC_API uint64_t netc_seed_derive(uint64_t seed, uint64_t index);

/* Creates a trainer for `model` with the compiled `entry` points (copied),
 * `options` (checked with netc_optimizer_options_check) and `seed`. The
 * parameters are initialised with netc_params_init(model, seed) (load other
 * values into netc_trainer_params, or with netc_trainer_load_checkpoint);
 * the optimizer state (SGD's momentum buffer, Adam's exp_avg and
 * exp_avg_sq, each laid out like the parameters) starts at zero and the
 * step count at 0. `model` must outlive the trainer. On failure `*out` is
 * NULL: NETC_ERROR_INVALID_ARGUMENT for a bad model or options or a missing
 * step function, NETC_ERROR_OUT_OF_MEMORY. */
NETC_API netc_status netc_trainer_create(const netc_model_info *model,
                                         const netc_model_entry_points *entry,
                                         const netc_optimizer_options *options,
                                         uint64_t seed, netc_trainer **out);
/* Frees a trainer and everything it owns; NULL is ignored. */
NETC_API void netc_trainer_free(netc_trainer *trainer);

/* Runs one optimizer step on a batch: `input` holds batch * (input numel)
 * floats, `target` the compiled step's target (int32 labels for cross
 * entropy, floats for mse; batch >= 1). The hparams array is filled from
 * the options (rounded to float32), then:
 *
 *   SGD:   NETC_SGD_FIRST_STEP is 1 on the first step taken with momentum
 *          != 0 (torch creates the momentum buffer then), else 0.
 *   Adam:  with t = step count + 1, NETC_ADAM_BIAS_CORRECTION1 =
 *          (float)(1 - pow(beta1, t)) computed in double, likewise 2 with
 *          beta2; NETC_ADAM_DECOUPLED is 1 for AdamW.
 *
 * The dropout seed is netc_seed_derive(seed, t). The step count becomes t
 * and `*loss` (may be NULL) receives the batch's loss (its mean or sum, as
 * the model's loss reduction). A NaN or infinite loss returns
 * NETC_ERROR_DIVERGED: the step has happened (and the parameters are likely
 * ruined), so restore a checkpoint to go on. A status other than NETC_OK
 * that the compiled step returns is returned as it is (netc_last_error has
 * the step's message), and the step did not happen. */
NETC_API netc_status netc_trainer_step(netc_trainer *trainer,
                                       const float *input, const void *target,
                                       int64_t batch, float *loss);

/* Replaces the options between steps (a new learning rate, say). They are
 * checked first; a different kind is NETC_ERROR_INVALID_ARGUMENT, since the
 * optimizer state would not fit. */
NETC_API netc_status
netc_trainer_set_options(netc_trainer *trainer,
                         const netc_optimizer_options *options);

/* The current options, or NULL for a NULL trainer. Valid until the next
 * call that changes them. */
NETC_API const netc_optimizer_options *
netc_trainer_options(const netc_trainer *trainer);
/* The parameter buffer (model->param_floats floats, owned by the trainer;
 * write to it to load other weights), or NULL for a NULL trainer. */
NETC_API float *netc_trainer_params(netc_trainer *trainer);
/* Steps taken so far (restored by a checkpoint), or -1 for NULL. */
NETC_API int64_t netc_trainer_step_count(const netc_trainer *trainer);
/* The seed the trainer was created with (or its checkpoint's). */
NETC_API uint64_t netc_trainer_seed(const netc_trainer *trainer);
/* The model the trainer was created for. */
NETC_API const netc_model_info *netc_trainer_model(const netc_trainer *trainer);

/* ====== Training: checkpoints ======
 *
 * A checkpoint is ONE safetensors file, written atomically (a temporary
 * file, fsync, rename), so a crash leaves the previous checkpoint whole:
 *
 *   <name>                            every parameter (state_dict names, F32;
 *                                     loadable alone with
 *                                     netc_params_load_safetensors)
 *   optimizer.momentum_buffer.<name>  SGD, once a step with momentum ran
 *   optimizer.exp_avg.<name>          Adam, AdamW
 *   optimizer.exp_avg_sq.<name>
 *   __metadata__                      strings: "format" "pt",
 *       "netc.checkpoint" "1", "model", "step", "seed", "optimizer" ("sgd",
 *       "adam", "adamw") and its options ("lr", "momentum", "dampening",
 *       "weight_decay", "nesterov", "beta1", "beta2", "eps"), netc_fit's
 *       position ("epoch", "batches_done", "epoch_loss_sum",
 *       "epoch_samples", "batch_size", "shuffle_seed", "train_size") and
 *       "history", a JSON array of {"epoch", "train_loss",
 *       "test_accuracy", "seconds"} (null for NaN).
 *
 * Numbers are written so that they read back exactly (doubles with 17
 * significant digits). Optimizer state is saved for every state_dict entry,
 * running statistics included, so that a resumed run continues bit for
 * bit. */

/* Writes the trainer's whole state to `path` atomically (see above; stale
 * temporaries of killed writers are removed as netc_params_save_safetensors
 * does). NETC_ERROR_IO if it cannot be written; the old file is then
 * untouched. */
NETC_API netc_status netc_trainer_save_checkpoint(const netc_trainer *trainer,
                                                  const char *path);

/* Restores everything netc_trainer_save_checkpoint wrote: parameters,
 * optimizer state, step count, seed, options, fit position and history.
 * Every tensor must be present with the model's shape and F32
 * (NETC_ERROR_MISMATCH naming the tensor); "model" must be the trainer's
 * model->name and "optimizer" its kind (NETC_ERROR_MISMATCH naming both);
 * metadata must be present and parse, and the fit position and history must
 * be ones netc_fit can have written (NETC_ERROR_FORMAT naming the key): all
 * zero before any fit ("train_size" 0), otherwise batch_size >= 1,
 * batches_done below the epoch's batches, epoch_samples = batches_done *
 * batch_size, a finite epoch_loss_sum (0 when batches_done is 0), and
 * "epoch" history entries for epochs 0, 1, ... in order with finite seconds
 * >= 0 and a test_accuracy in [0, 1] or null. Everything is checked before
 * anything changes, so a failed load leaves the trainer as it was (but for
 * an I/O error midway through reading the tensors). */
NETC_API netc_status netc_trainer_load_checkpoint(netc_trainer *trainer,
                                                  const char *path);

/* ====== Training: the fit loop (high level) ======
 *
 * netc_fit trains a classifier (a model compiled with cross entropy, whose
 * target is int32 labels) on an IDX dataset, epoch by epoch:
 *
 *   1. Epoch e visits the training set in the order netc_shuffle_indices
 *      gives 0..n-1 with seed netc_seed_derive(shuffle_seed, e + 1), in
 *      batches of batch_size; the last batch holds the n % batch_size
 *      samples left, if any.
 *   2. After each batch: the trainer's position advances, a checkpoint is
 *      written every `checkpoint_every` batches (if > 0 and a path is set),
 *      then `progress` is called.
 *   3. After each epoch: test accuracy (argmax of m_forward's output row vs
 *      the label) if a test set is given, the epoch joins the history, the
 *      checkpoint is written, then `epoch_end` is called.
 *
 * Since an epoch's order is recomputed from (shuffle_seed, e), a checkpoint
 * taken after batch k of epoch e resumes exactly there: with `resume` set,
 * fit first loads `checkpoint_path` and then runs the same steps, with the
 * same seeds, as the uninterrupted run, so the parameters come out bit for
 * bit the same. That assumes the same compiled object on the same machine
 * (the compiled step's float rounding and threading), the same datasets and
 * normalisation, and the same batch size, shuffle seed and training set
 * size. Those three are checked (NETC_ERROR_MISMATCH naming the option that
 * differs and the recorded value: "netc_fit: cannot resume the checkpoint's
 * run: the options say batch size 3, its fit ran with batch size 4")
 * whenever the position is inside an epoch, and, even at an epoch boundary,
 * in the first fit after a checkpoint that recorded a fit was restored.
 *
 * `resume` is only netc_trainer_load_checkpoint before the loop: fit always
 * continues from the trainer's position. A program that wants other
 * optimizer options after resuming (a lower learning rate) loads the
 * checkpoint, calls netc_trainer_set_options and fits without `resume`;
 * the checks above apply all the same. A trainer that goes on fitting
 * without a restore in between may change the batch size, shuffle seed or
 * data from one epoch to the next. The number of batches per epoch is
 * ceil(n / batch_size), computed without overflow: a batch_size beyond n
 * (up to INT64_MAX) trains on the whole set as one batch. */

/* Reported after every batch. */
typedef struct netc_progress {
  int64_t epoch;           /* from 0 */
  int64_t epochs;          /* the fit's epoch count */
  int64_t batches_done;    /* batches of this epoch done, this one included */
  int64_t batches_total;   /* batches per epoch */
  int64_t samples_done;    /* samples of this epoch done */
  int64_t samples_total;   /* training set size */
  double loss;             /* mean loss per sample over the epoch so far */
  double images_per_second; /* training throughput in this epoch and call */
  double elapsed;          /* seconds since this epoch (or call) started */
} netc_progress;

/* One epoch's results; also the trainer's history entries. */
typedef struct netc_epoch_result {
  int64_t epoch;        /* from 0 */
  double train_loss;    /* mean loss per sample over the epoch */
  double test_accuracy; /* fraction in [0, 1]; NaN without a test set */
  double seconds;       /* training and testing time, this call's part */
} netc_epoch_result;

typedef void (*netc_progress_fn)(const netc_progress *progress, void *user);
typedef void (*netc_epoch_fn)(const netc_epoch_result *result, void *user);

typedef struct netc_fit_options {
  const netc_dataset *train;  /* with labels; required */
  const netc_dataset *test;   /* with labels; NULL for no testing */
  float mean, stddev;         /* normalisation (netc_dataset_get_batch) */
  int64_t epochs;             /* total: a resumed fit runs the rest */
  int64_t batch_size;         /* >= 1 */
  uint64_t shuffle_seed;
  const char *checkpoint_path; /* NULL: no checkpoints */
  int64_t checkpoint_every;   /* batches; 0: only at the end of epochs */
  int32_t resume;             /* 1: load checkpoint_path first */
  netc_progress_fn progress;  /* may be NULL, e.g. netc_progress_bar */
  netc_epoch_fn epoch_end;    /* may be NULL, e.g. netc_epoch_summary */
  void *user;                 /* passed to both callbacks */
} netc_fit_options;

/* No datasets, mean 0, stddev 1, 1 epoch, batch size 64, shuffle seed 0,
 * no checkpoints and no callbacks. */
NETC_API netc_fit_options netc_fit_options_default(void);

typedef struct netc_fit_report {
  int64_t start_epoch;        /* where this call began (after resuming) */
  int64_t start_batch;
  int64_t epochs_done;        /* the trainer's completed epochs at the end */
  int64_t batches_run;        /* steps this call took */
  netc_epoch_result last;     /* the last completed epoch; epoch -1 if none */
  double seconds;             /* this call's wall time */
} netc_fit_report;

/* Trains `trainer` as described above until `options->epochs` epochs are
 * complete; `report` (may be NULL) is filled on success and on failure.
 * NETC_ERROR_INVALID_ARGUMENT for bad options, datasets without labels, an
 * empty training set or a missing forward with a test set;
 * NETC_ERROR_MISMATCH for images that do not fit the model's input, or a
 * position (mid-epoch, or restored) recorded with another batch size,
 * shuffle seed or training set size; NETC_ERROR_DIVERGED, naming the epoch
 * and batch, when a loss is NaN or inf: no checkpoint is written after it,
 * so the last one stays the last good state. Errors of checkpoint I/O stop
 * training. */
NETC_API netc_status netc_fit(netc_trainer *trainer,
                              const netc_fit_options *options,
                              netc_fit_report *report);

/* The trainer's fit position: completed epochs and batches done in the
 * next one (both 0 for a new trainer). */
NETC_API netc_status netc_trainer_position(const netc_trainer *trainer,
                                           int64_t *epoch,
                                           int64_t *batches_done);
/* The trainer's history, one entry per completed epoch; `*count` entries,
 * valid until the next call that changes the trainer. NULL if there are
 * none or the trainer is NULL. */
NETC_API const netc_epoch_result *
netc_trainer_history(const netc_trainer *trainer, int64_t *count);

/* A progress callback drawing one line on `user` (a FILE *, NULL for
 * stderr):
 *   epoch 2/10 [=========>          ] 512/938 loss 0.3412 4521 img/s ETA 0:09
 * On a terminal (isatty) the line is redrawn with \r after every batch. On
 * anything else (a log file, a pipe) it is printed as a line of its own,
 * ended with \n, for the first batch an epoch (or a call) reports and then
 * at most once per 5 seconds of progress->elapsed, so that logs stay short.
 * The pacing is kept per thread. */
NETC_API void netc_progress_bar(const netc_progress *progress, void *user);
/* An epoch callback printing the epoch's summary on `user` (a FILE *, NULL
 * for stderr) as a line; on a terminal it overwrites the bar's line:
 *   epoch 2: train loss 0.3012, test accuracy 97.41%, 12.3 s */
NETC_API void netc_epoch_summary(const netc_epoch_result *result, void *user);

/* ====== Training: plots ====== */

/* Draws `count` epochs of `history` (e.g. netc_trainer_history) as an RGB
 * PNG of `width` x `height` pixels (0, 0 for 640 x 480; at least 200 x 160):
 * two panels, train loss per epoch on top and test accuracy (%) below,
 * each with axes, tick labels and a title; NaN points are left out. The
 * file is written atomically. */
NETC_API netc_status netc_plot_history_png(const char *path,
                                           const netc_epoch_result *history,
                                           int64_t count, int32_t width,
                                           int32_t height);

#ifdef __cplusplus
}
#endif

#endif /* NETC_C_NETC_H */
