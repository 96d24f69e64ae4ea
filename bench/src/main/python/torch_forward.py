"""The PyTorch side of GpuForwardBench: the same MLP, variants and timing, in Python.

    python3 torch_forward.py run --out torch.json          # time, print, write JSON
    python3 torch_forward.py compare djl*.json -- torch*.json  # ratios of DJL to PyTorch

Timing mirrors the Java side exactly: every round runs each variant once in a rotating order;
a variant's block runs --iters forwards and synchronises once by copying the sum of the last
output to the host; the figure is the median over rounds of ms per forward. Grad mode is off
globally, as DJL's PyTorch engine has it outside a gradient collector; the weights still
require grad, as DJL's parameters do, so autocast may cache their 16-bit casts in both.
"""
import argparse
import contextlib
import json
import statistics
import sys
import time


def run(args):
    import torch
    import torch.nn.functional as F

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    dev = "cuda" if args.device == "gpu" else "cpu"
    h, b, layers = args.hidden, args.batch, args.layers
    mlp = torch.nn.Sequential(
        *[m for _ in range(layers) for m in (torch.nn.Linear(h, h), torch.nn.ReLU())]
    ).to(dev)
    x = torch.randn(b, h, device=dev)
    flops = 2.0 * b * h * h * layers
    name = torch.cuda.get_device_name() if dev == "cuda" else "cpu"
    print(f"# torch {torch.__version__} (CUDA {torch.version.cuda}), {name}; "
          f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}")
    print(f"# MLP {layers} x (Linear({h})+ReLU), batch {b}; {args.iters} forwards per timed block, "
          f"{args.rounds} rounds (+{args.warmup} warm-up), variants interleaved")

    def sync(out):
        out.sum().cpu()

    def autocast(dtype):
        return lambda: torch.autocast(dev, dtype=dtype)

    def per_forward(n, context, sync_each):
        """Returns the seconds the host spent before the final synchronisation."""
        start = launched = time.perf_counter()
        for i in range(n):
            with context():
                out = mlp(x)
                if sync_each or i == n - 1:
                    launched = time.perf_counter()
                    sync(out)
        return launched - start

    def host_ms(n, context):
        """Host cost of one forward: time to enqueue n forwards on an idle GPU, median of 11."""
        tries = []
        for _ in range(11):
            per_forward(1, context, False)
            tries.append(per_forward(n, context, False) * 1e3 / n)
        return statistics.median(tries)

    def scope_once(n):
        with torch.autocast(dev, dtype=torch.float16):
            per_forward(n, contextlib.nullcontext, False)

    half_weights = [(m.weight.half(), m.bias.half()) for m in mlp if isinstance(m, torch.nn.Linear)]

    def precast(n):
        for i in range(n):
            y = x.half()
            for w, bias in half_weights:
                y = torch.relu(F.linear(y, w, bias))
            if i == n - 1:
                sync(y)

    variants = [
        ("fp32", lambda n: per_forward(n, contextlib.nullcontext, False)),
        ("16-mixed", lambda n: per_forward(n, autocast(torch.float16), False)),
        ("bf16-mixed", lambda n: per_forward(n, autocast(torch.bfloat16), False)),
        ("16-mixed sync-each", lambda n: per_forward(n, autocast(torch.float16), True)),
        ("16-mixed scope-once", scope_once),
        ("fp16 weights, no autocast", precast),
    ]
    for v, body in variants:
        body(1)
        print(f"# ok: {v}")
    times = {v: [] for v, _ in variants}
    for r in range(-args.warmup, args.rounds):
        for i in range(len(variants)):
            v, body = variants[(r + i) % len(variants)]
            start = time.perf_counter()
            body(args.iters)
            ms = (time.perf_counter() - start) * 1e3 / args.iters
            if r >= 0:
                times[v].append(ms)
    host = {
        "fp32": host_ms(args.iters, contextlib.nullcontext),
        "16-mixed": host_ms(args.iters, autocast(torch.float16)),
        "bf16-mixed": host_ms(args.iters, autocast(torch.bfloat16)),
    }
    print("\n| variant | ms / forward | TFLOP/s | spread | host enqueue ms / forward |\n"
          "|---|---|---|---|---|")
    result = {"tool": "torch", "variants": {}}
    for v, ts in times.items():
        ms = statistics.median(ts)
        s = sorted(ts)
        spread = (s[int(0.9 * (len(s) - 1))] - s[-(-(len(s) - 1) // 10)]) / ms
        tflops = flops / (ms / 1e3) / 1e12
        h = f"{host[v]:.4f}" if v in host else ""
        print(f"| {v} | {ms:.3f} | {tflops:.1f} | {100 * spread:.1f}% | {h} |")
        result["variants"][v] = {"ms": ms, "tflops": tflops}
        if v in host:
            result["variants"][v]["host_ms"] = host[v]
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f)


def compare(files):
    split = files.index("--")
    djl = [json.load(open(f))["variants"] for f in files[:split]]
    torch = [json.load(open(f))["variants"] for f in files[split + 1:]]
    print(f"\n## DJL + djl-precision against PyTorch ({len(djl)} DJL runs, {len(torch)} PyTorch runs,"
          " alternating; throughput ratio = PyTorch ms / DJL ms)")
    print("| variant | DJL ms | DJL TFLOP/s | PyTorch ms | PyTorch TFLOP/s | DJL / PyTorch throughput"
          " | min..max over run pairs |\n|---|---|---|---|---|---|---|")
    for v in djl[0]:
        d = statistics.mean(run[v]["ms"] for run in djl)
        t = statistics.mean(run[v]["ms"] for run in torch)
        pairs = [tr[v]["ms"] / dr[v]["ms"] for dr in djl for tr in torch]
        print(f"| {v} | {d:.3f} | {statistics.mean(r[v]['tflops'] for r in djl):.1f} | {t:.3f} | "
              f"{statistics.mean(r[v]['tflops'] for r in torch):.1f} | {t / d:.3f} | "
              f"{min(pairs):.3f}..{max(pairs):.3f} |")
    print("\n## Host time to enqueue one forward (ms; the GPU runs behind, so this is framework work)")
    print("| variant | DJL + djl-precision | PyTorch |\n|---|---|---|")
    for v in djl[0]:
        if "host_ms" in djl[0][v]:
            d = statistics.mean(run[v]["host_ms"] for run in djl)
            t = statistics.mean(run[v]["host_ms"] for run in torch)
            print(f"| {v} | {d:.4f} | {t:.4f} |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        compare(sys.argv[2:])
        return
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["run"])
    p.add_argument("--device", default="gpu")
    p.add_argument("--hidden", type=int, default=8192)
    p.add_argument("--batch", type=int, default=8192)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--out")
    run(p.parse_args())


if __name__ == "__main__":
    main()
