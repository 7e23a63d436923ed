#!/usr/bin/python3
"""Converts a PyTorch .pt file to safetensors, which the netc runtime reads.

  torch_to_safetensors.py IN.pt OUT.safetensors

IN.pt is what torch.save wrote: a state_dict (a dict of tensors), or a whole
nn.Module, whose state_dict() is taken. Loading it runs its pickle, so
convert only files you trust. Needs only PyTorch and NumPy (not the
safetensors package).

The output is the safetensors format: an 8-byte little-endian header length,
a JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {"format": "pt"}} padded with spaces to a multiple of 8
bytes, then each tensor's raw little-endian data, C-contiguous, one after
the other. Every dtype keeps its type (F32, F64, F16, BF16, I64, ...); the
runtime converts floating-point parameters to float32 and ignores the rest
(such as BatchNorm's I64 num_batches_tracked).
"""
import json
import struct
import sys

# torch's dtype names and their safetensors names.
DTYPES = {
    "float32": "F32",
    "float64": "F64",
    "float16": "F16",
    "bfloat16": "BF16",
    "int64": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint8": "U8",
    "bool": "BOOL",
}


def state_dict_of(obj, path):
    """The {name: tensor} that `obj`, loaded from `path`, holds."""
    import torch
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        sys.exit("%s: holds %s, expected a state_dict or an nn.Module"
                 % (path, type(obj).__name__))
    for name, value in obj.items():
        if not isinstance(value, torch.Tensor):
            # A training checkpoint: {"model": state_dict, "epoch": 3, ...}.
            sys.exit("%s: entry %r is not a tensor (%s); save the model's "
                     "state_dict() alone" % (path, name, type(value).__name__))
    return obj


def tensor_entry(tensor):
    """(safetensors dtype, shape, raw little-endian C-contiguous bytes)."""
    import torch
    tensor = tensor.detach().cpu().contiguous()
    dtype = DTYPES.get(str(tensor.dtype).replace("torch.", ""))
    if dtype is None:
        raise ValueError("dtype %s has no safetensors name" % tensor.dtype)
    # NumPy has no bfloat16: its bits go out as int16.
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    array = tensor.numpy()
    data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    return dtype, list(tensor.shape), data


def write_safetensors(path, entries, metadata=None):
    """Writes {name: (dtype, shape, data bytes)} to `path` as safetensors, in
    the dict's order (needs neither torch nor NumPy)."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, data) in entries.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.writelines(blobs)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: torch_to_safetensors.py IN.pt OUT.safetensors")
    source, target = argv[1], argv[2]
    import torch
    tensors = state_dict_of(torch.load(source, map_location="cpu"), source)
    write_safetensors(target, {name: tensor_entry(tensor)
                               for name, tensor in tensors.items()},
                      metadata={"format": "pt"})
    print("%s: %d tensors written to %s" % (source, len(tensors), target))


if __name__ == "__main__":
    main(sys.argv)
