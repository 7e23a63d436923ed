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

import torch

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def state_dict_of(obj, path):
    """The {name: tensor} that `obj`, loaded from `path`, holds."""
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


def tensor_bytes(tensor):
    """The raw little-endian bytes of `tensor`, C-contiguous."""
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype not in DTYPES:
        raise ValueError("dtype %s has no safetensors name" % tensor.dtype)
    # NumPy has no bfloat16: its bits go out as int16.
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    array = tensor.numpy()
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(path, tensors):
    """Writes {name: tensor} to `path` as safetensors."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = tensor_bytes(tensor)
        header[name] = {"dtype": DTYPES[tensor.dtype],
                        "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
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
    tensors = state_dict_of(torch.load(source, map_location="cpu"), source)
    write_safetensors(target, tensors)
    print("%s: %d tensors written to %s" % (source, len(tensors), target))


if __name__ == "__main__":
    main(sys.argv)
