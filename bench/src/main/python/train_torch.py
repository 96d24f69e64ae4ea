"""One GPU training configuration per process, the PyTorch side of GpuTrainBench.java.

    python3 train_torch.py --model resnet50 --side torch --precision 16-mixed [--fused]
        [--channels-last] [--cudnn-benchmark] [--memory-trace]
    python3 train_torch.py --model bert --side lightning --precision bf16-mixed
    python3 train_torch.py --model mlp --side torch --device cpu --tiny   # smoke run

Same models and batches (twin_models.py), SGD momentum 0.9 at lr 0.01, softmax cross-entropy,
data made on the device once. --warmup steps first, then --steps timed steps between two
torch.cuda.synchronize() calls. Prints one line, RESULT and a JSON object (the fields of
ResultLine.java), with status OK or FAILED and the error; exits 0 or 1. Peak device memory is
sampled from outside by gpu-bench.py (nvidia-smi), the same way for every side; PyTorch's own
max_memory_allocated is printed beside it for reference only.

Sides:
- torch: eager PyTorch. 16-mixed: torch.autocast(float16) + torch.amp.GradScaler; bf16-mixed:
  autocast(bfloat16), no scaler; 16-true: model.half(), inputs cast each step. --fused uses
  SGD(fused=True) (the GradScaler then hands grad_scale/found_inf to the fused kernel).
  The opt-ins a PyTorch user may add: --channels-last converts the model once
  (model.to(memory_format=torch.channels_last)) and every 4-D input each step;
  --cudnn-benchmark sets torch.backends.cudnn.benchmark = True before the first step.
  --memory-trace adds one untimed step after the timed ones that reports
  torch.cuda.max_memory_allocated after the forward (loss included), the backward and the
  optimizer step (zero_grad included), each from a peak reset at the phase's start:
  memory_phases_mib {forward, backward, step}.
- lightning: lightning.Trainer(precision=...) on a LightningModule with the same network and
  optimizer, fed by a DataLoader that yields the same device batch every step; a Callback times
  from the end of the last warm-up batch to the end of the last batch (optimizer step included).
"""
import argparse
import contextlib
import json
import sys
import time
import traceback

import twin_models

PRECISIONS = ("32-true", "16-mixed", "bf16-mixed", "16-true")
SIDES = ("torch", "lightning")
LEARNING_RATE = 0.01
MOMENTUM = 0.9


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, so that a bad option still ends in a FAILED RESULT line."""

    def error(self, message):
        raise ValueError(message)


def parse(argv):
    p = _Parser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=tuple(twin_models.SIZES))
    p.add_argument("--side", required=True, choices=SIDES)
    p.add_argument("--precision", default="32-true", choices=PRECISIONS)
    p.add_argument("--fused", action="store_true", help="SGD(fused=True)")
    p.add_argument("--channels-last", action="store_true",
                   help="side torch: channels_last model and 4-D inputs")
    p.add_argument("--cudnn-benchmark", action="store_true",
                   help="torch.backends.cudnn.benchmark = True")
    p.add_argument("--memory-trace", action="store_true",
                   help="side torch on cuda: per-phase peak allocated memory of one extra step")
    p.add_argument("--steps", type=int, default=30, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--batch", type=int, help="batch size (default: the model's)")
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    p.add_argument("--tiny", action="store_true", help="tiny sizes, for smoke runs on a CPU")
    args = p.parse_args(argv)
    if args.side != "torch" and (args.channels_last or args.memory_trace):
        raise ValueError("--channels-last and --memory-trace apply to --side torch")
    if args.steps < 1 or args.warmup < 1:
        raise ValueError(f"--steps and --warmup must be at least 1, got {args.steps} and "
                         f"{args.warmup}")
    return args


def side_name(args):
    return (args.side + ("-cl" if args.channels_last else "") + ("-fused" if args.fused else "")
            + ("-bench" if args.cudnn_benchmark else ""))


def environment(torch, device):
    env = {"framework": f"PyTorch {torch.__version__}"}
    if device.type == "cuda":
        env["device"] = torch.cuda.get_device_name(device)
        env["tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
        env["tf32_cudnn"] = torch.backends.cudnn.allow_tf32
        env["cudnn_benchmark"] = torch.backends.cudnn.benchmark
    else:
        env["device"] = "cpu"
    return env


def sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def optimizer(torch, params, fused):
    # only pass fused when asked: older PyTorch (e.g. the CPU smoke machine's 1.13) lacks it
    extra = {"fused": True} if fused else {}
    return torch.optim.SGD(params, lr=LEARNING_RATE, momentum=MOMENTUM, **extra)


def half_inputs(batch):
    return [t.half() if t.is_floating_point() else t for t in batch]


def grad_scaler(torch, device):
    if hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler(device.type)
    return torch.cuda.amp.GradScaler(enabled=device.type == "cuda")  # PyTorch < 2.3


def run_torch(args, torch, device, model, batch, y, result):
    import torch.nn.functional as F

    model = model.to(device)
    if args.precision == "16-true":
        model = model.half()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = optimizer(torch, model.parameters(), args.fused)
    dtype = {"16-mixed": torch.float16, "bf16-mixed": torch.bfloat16}.get(args.precision)
    scaler = grad_scaler(torch, device) if args.precision == "16-mixed" else None

    def autocast():
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=dtype)

    def forward():
        x = half_inputs(batch) if args.precision == "16-true" else batch
        if args.channels_last:
            x = [t.to(memory_format=torch.channels_last) if t.dim() == 4 else t for t in x]
        with autocast():
            return F.cross_entropy(model(*x), y)

    def backward(loss):
        (scaler.scale(loss) if scaler is not None else loss).backward()

    def update():
        if scaler is not None:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        opt.zero_grad(set_to_none=True)

    def step():
        loss = forward()
        backward(loss)
        update()
        return loss

    for _ in range(args.warmup):
        loss = step()
    result["warmup_loss"] = loss.item()
    sync(torch, device)
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    sync(torch, device)
    seconds = time.perf_counter() - start
    result["final_loss"] = loss.item()
    if scaler is not None:
        result["loss_scale"] = scaler.get_scale()
    if args.memory_trace and device.type == "cuda":
        result["torch_max_allocated_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        result["torch_max_reserved_mib"] = torch.cuda.max_memory_reserved(device) / 2**20
        trace = {}

        def phase(name, action):
            sync(torch, device)
            torch.cuda.reset_peak_memory_stats(device)
            value = action()
            sync(torch, device)
            trace[name] = torch.cuda.max_memory_allocated(device) / 2**20
            return value

        loss = phase("forward", forward)
        phase("backward", lambda: backward(loss))
        del loss
        phase("step", update)
        result["memory_phases_mib"] = trace
    return seconds


def run_lightning(args, torch, device, model, batch, y, result):
    import lightning as L
    import torch.nn.functional as F

    warmup, steps = args.warmup, args.steps

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = model

        def training_step(self, data, batch_idx):
            *x, labels = data
            return F.cross_entropy(self.net(*x), labels)

        def configure_optimizers(self):
            return optimizer(torch, self.parameters(), args.fused)

    class Timer(L.Callback):
        """Times whole batches (fetch, forward, backward, optimizer step) after the warm-up."""

        def __init__(self):
            self.start = self.end = None

        def on_train_batch_end(self, trainer, pl_module, outputs, data, batch_idx):
            if batch_idx == warmup - 1:
                result["warmup_loss"] = outputs["loss"].item()
                sync(torch, device)
                self.start = time.perf_counter()
            elif batch_idx == warmup + steps - 1:
                sync(torch, device)
                self.end = time.perf_counter()
                result["final_loss"] = outputs["loss"].item()

    class SameBatch(torch.utils.data.Dataset):
        """The device batch, warmup + steps times; batch_size=None hands it over as it is."""

        def __len__(self):
            return warmup + steps

        def __getitem__(self, index):
            return (*batch, y)

    timer = Timer()
    trainer = L.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=1,
        precision=args.precision,
        max_steps=warmup + steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[timer],
    )
    module = Module()
    loader = torch.utils.data.DataLoader(SameBatch(), batch_size=None)
    trainer.fit(module, train_dataloaders=loader)
    if timer.start is None or timer.end is None:
        raise RuntimeError(f"Lightning ran {trainer.global_step} steps, not {warmup + steps}")
    scaler = getattr(trainer.precision_plugin, "scaler", None)
    if scaler is not None:
        result["loss_scale"] = scaler.get_scale()
    return timer.end - timer.start


def measure(args, result):
    import torch

    device = torch.device(args.device)
    if args.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    result.update(environment(torch, device))
    s = twin_models.sizes(args.model, args.tiny)
    result["describe"] = twin_models.describe(args.model, s)
    batch_size = args.batch or s["batch"]
    result.update(batch=batch_size, steps=args.steps, warmup=args.warmup)
    torch.manual_seed(42)
    model = twin_models.build(args.model, s)
    batch = twin_models.inputs(args.model, s, batch_size, device)
    y = twin_models.labels(s, batch_size, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    run = run_lightning if args.side == "lightning" else run_torch
    seconds = run(args, torch, device, model, batch, y, result)
    ms = seconds * 1e3 / args.steps
    result["ms_per_step"] = ms
    result["samples_per_s"] = batch_size * 1e3 / ms
    if device.type == "cuda":
        # a memory trace has recorded them before its own peak resets
        result.setdefault("torch_max_allocated_mib",
                          torch.cuda.max_memory_allocated(device) / 2**20)
        result.setdefault("torch_max_reserved_mib",
                          torch.cuda.max_memory_reserved(device) / 2**20)


def main(argv):
    result = {"suite": "train"}
    try:
        args = parse(argv)
        result.update(model=args.model, side=side_name(args), precision=args.precision,
                      status="OK")
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
