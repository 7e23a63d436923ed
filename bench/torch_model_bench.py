"""Times PyTorch 1.13 on a netc model JSON file, built by the parity tests'
independent reader (test/Parity/torch_model.py), exactly as
netc_model_bench.cpp times netc: the SGD train step at batch 64 (lr 0.01,
momentum 0.5, cross entropy), batch-1 latency and batch-64 inference, then
the peak RSS. One thread count per process; prints one JSON line.

    /usr/bin/python3 bench/torch_model_bench.py models/lenet.json --threads 2
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test",
                                "Parity"))
from torch_model import build_model  # noqa: E402


def median_seconds(body, warmup, min_seconds):
    for _ in range(warmup):
        body()
    times = []
    begin = time.perf_counter()
    while time.perf_counter() - begin < min_seconds or len(times) < 5:
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_model(args.model)
    batch = 64
    x = torch.randn((batch,) + model.input_shape)
    classes = model.out_shape[0]
    labels = torch.randint(0, classes, (batch,))

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)

    def train_step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    train = median_seconds(train_step, 3, args.seconds)
    model.eval()
    with torch.no_grad():
        x1 = x[:1].contiguous()
        latency = median_seconds(lambda: model(x1), 20, args.seconds)
        inference = median_seconds(lambda: model(x), 3, args.seconds)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"train_img_s": batch / train,
                      "latency_ms": latency * 1e3,
                      "infer_img_s": batch / inference,
                      "peak_rss_mb": rss_mb}))


if __name__ == "__main__":
    main()
