"""One GPU inference configuration per process, the PyTorch side of GpuInferBench.java.

    python3 infer_torch.py --model resnet50 --path 16-mixed [--batches 1,8,128]
    python3 infer_torch.py --model bert --path 16-true --device cpu --tiny --iters 3   # smoke run

Paths, all under torch.inference_mode() on model.eval():
- fp32: the model as built;
- 16-mixed / bf16-mixed: torch.autocast(float16 / bfloat16) around each call;
- 16-true: model.half() once, inputs cast to half in each call.
Each call is timed alone, from the call until its output is on the host as fp32 (as a serving
translator ends; the copy waits for the device). Reported per batch size: median, p99 and mean
latency (nearest-rank percentiles, as Latencies.java) and throughput (batch / mean), and the
largest absolute difference from the fp32 outputs on the same fixed input, computed in the same
process before the path is applied. Prints one line, RESULT and a JSON object; exits 0 or 1.
"""
import argparse
import contextlib
import json
import math
import sys
import time
import traceback

import twin_models

PATHS = ("fp32", "16-mixed", "bf16-mixed", "16-true")


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, so that a bad option still ends in a FAILED RESULT line."""

    def error(self, message):
        raise ValueError(message)


def parse(argv):
    p = _Parser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=tuple(twin_models.SIZES))
    p.add_argument("--path", required=True, choices=PATHS)
    p.add_argument("--batches", default="1,8,128", help="batch sizes, comma-separated")
    p.add_argument("--iters", type=int,
                   help="timed calls per batch size (default: 200 at batch 1, 100 up to 8, else 30)")
    p.add_argument("--warmup", type=int, default=10, help="untimed calls per batch size")
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    p.add_argument("--tiny", action="store_true", help="tiny sizes, for smoke runs on a CPU")
    args = p.parse_args(argv)
    args.batches = [int(b) for b in args.batches.split(",")]
    if any(b < 1 for b in args.batches) or (args.iters is not None and args.iters < 1) \
            or args.warmup < 0:
        raise ValueError("--batches need sizes of at least 1, --iters at least 1, --warmup at "
                         "least 0")
    return args


def percentile(sorted_ms, p):
    """Nearest rank: the smallest sample with at least p% of the samples at or below it."""
    rank = math.ceil(p / 100 * len(sorted_ms))
    return sorted_ms[max(rank, 1) - 1]


def measure(args, result):
    import torch

    device = torch.device(args.device)
    result["framework"] = f"PyTorch {torch.__version__}"
    result["device"] = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    s = twin_models.sizes(args.model, args.tiny)
    result["describe"] = twin_models.describe(args.model, s)
    torch.manual_seed(42)
    model = twin_models.build(args.model, s).to(device).eval()
    inputs = [twin_models.inputs(args.model, s, b, device) for b in args.batches]
    with torch.inference_mode():
        reference = [model(*x).float().cpu() for x in inputs]
    dtype = {"16-mixed": torch.float16, "bf16-mixed": torch.bfloat16}.get(args.path)
    if args.path == "16-true":
        model = model.half()

    def call(x):
        if args.path == "16-true":
            x = [t.half() if t.is_floating_point() else t for t in x]
        context = (torch.autocast(device_type=device.type, dtype=dtype) if dtype is not None
                   else contextlib.nullcontext())
        with context:
            return model(*x).float().cpu()

    rows = []
    with torch.inference_mode():
        for batch, x, ref in zip(args.batches, inputs, reference):
            out = call(x)
            for _ in range(args.warmup):
                call(x)
            n = args.iters or (200 if batch <= 1 else 100 if batch <= 8 else 30)
            millis = []
            for _ in range(n):
                start = time.perf_counter()
                call(x)
                millis.append((time.perf_counter() - start) * 1e3)
            millis.sort()
            mean = sum(millis) / n
            rows.append(dict(batch=batch, iters=n, median_ms=percentile(millis, 50),
                             p99_ms=percentile(millis, 99), mean_ms=mean,
                             samples_per_s=batch * 1e3 / mean,
                             max_abs_diff=(out - ref).abs().max().item(),
                             max_abs_ref=ref.abs().max().item()))
    result["batches"] = rows


def main(argv):
    result = {"suite": "infer"}
    try:
        args = parse(argv)
        result.update(model=args.model, side="torch", path=args.path, status="OK")
        measure(args, result)
    except Exception as e:  # reported as FAILED, the driver goes on with the next configuration
        traceback.print_exc()
        result["status"] = "FAILED"
        message = " ".join(str(e).split())
        result["error"] = f"{type(e).__name__}: {message}"
    print("RESULT " + json.dumps(result), flush=True)
    return 0 if result["status"] == "OK" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
