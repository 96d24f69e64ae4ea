"""GPU training and inference benchmark driver: runs on the H200 machine, from the checkout's root.

Runs a list of configurations, each in its own process with a timeout: the PyTorch anchors
(bench/src/main/python/train_torch.py, infer_torch.py) with python3 and the DJL mains
(GpuTrainBench, GpuInferBench) through `bash .device/run.sh`. While each process runs, a thread
samples nvidia-smi's memory.used about every 50 ms; the highest value is that configuration's peak
device memory, measured the same way for every side. Each process prints one RESULT line; a
configuration that fails (error, crash, timeout) is reported as FAILED with its error line and the
others go on. Results go to --out ($OUT on the device machine): TAG.log (every process's output),
TAG.json (every result), TAG.md (one table per model), rewritten after every configuration so a
cut-off run still leaves what it measured. The tables are printed at the end too.

    python3 bench/device/gpu-bench.py --suites train --models mlp,resnet50
    python3 bench/device/gpu-bench.py --suites train --models bert
    python3 bench/device/gpu-bench.py --suites infer --models resnet50,bert
    python3 bench/device/gpu-bench.py --suites multi --models mlp,resnet50   # two GPUs
    python3 bench/device/gpu-bench.py --suites train --models mlp --only 'library|plain' --dry-run
    python3 bench/device/gpu-bench.py --smoke --python /usr/bin/python3 --java-cmd "java -cp ..."

See bench/README.md for the preparation (here) and what every column means.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(ROOT, "bench", "src", "main", "python")
MAIN_PACKAGE = "io.github.djlprecision.bench."

MODELS = ("mlp", "resnet50", "bert")
PRECISIONS = ("32-true", "16-mixed", "bf16-mixed", "16-true")
# training sides, in table order; the DJL ones name their precisions (None: every one)
# PyTorch eager sides name their opt-ins after "torch": -cl (channels_last model and inputs),
# -fused (SGD(fused=True)), -bench (torch.backends.cudnn.benchmark = True); "torch-all" is all three.
# "library-nocl" is the library with its channels-last default turned off (ChannelsLast.NEVER).
TRAIN_SIDES = (
    ("torch", None), ("torch-fused", None), ("torch-cl", None), ("torch-bench", None),
    ("torch-all", None), ("lightning", None),
    ("library", None), ("library-nocl", ("16-mixed", "bf16-mixed", "16-true")),
    ("library-unfused", ("16-mixed", "bf16-mixed")), ("plain", ("32-true",)),
    ("plain-autocast", ("16-mixed", "bf16-mixed")),
)
TORCH_OPT_INS = {"cl": "--channels-last", "fused": "--fused", "bench": "--cudnn-benchmark"}
# extra library configurations beyond the four precisions: (precision, amp level)
LIBRARY_EXTRA = (("16-mixed", "O2"),)
# inference paths per side; a new DJL path (GpuInferBench's InferPaths) is one more name here
INFER_PATHS = {
    "torch": ("fp32", "16-mixed", "bf16-mixed", "16-true"),
    "djl": ("fp32", "16-mixed-fp32-weights", "16-mixed", "16-true", "bf16-mixed"),
}
INFER_MODELS = ("resnet50", "bert")
INFER_BATCHES = (1, 8, 128)
# several GPUs: the same global batch, seed and steps on 1 and on MULTI_GPUS GPUs, through these
# sides and precisions, every step's loss reported for the trajectory comparison
MULTI_GPUS = 2
MULTI_SIDES = (("library", ("32-true", "16-mixed", "bf16-mixed")), ("plain", ("32-true",)))
MULTI_BATCH = {"mlp": 8192, "resnet50": 256, "bert": 64}
MULTI_SEED = 42

# timed steps and warm-up per model (full size)
TRAIN_STEPS = {"mlp": 60, "resnet50": 30, "bert": 30}
TRAIN_WARMUP = 5
# rough figures for the wall-time estimate only (seconds, ms): process start, model build, and
# step or call times seen on the H200 (docs/benchmarks.md) or guessed from FLOPs (BERT)
START_S = {"torch": 7, "torch-fused": 7, "torch-cl": 7, "torch-bench": 7, "torch-all": 7,
           "lightning": 12, "library": 10, "library-nocl": 10, "library-unfused": 10,
           "plain": 10,
           "plain-autocast": 10, "djl": 10}
BUILD_S = {"mlp": 1, "resnet50": 2, "bert": 3}
STEP_MS = {"mlp": (35, 6), "resnet50": (70, 65), "bert": (100, 45)}  # (32-true, 16-bit)
GPU_BATCH = {"mlp": 4096, "resnet50": 128, "bert": 32}  # the batches STEP_MS was seen at
CALL_MS = {"resnet50": {1: 8, 8: 10, 128: 22}, "bert": {1: 15, 8: 15, 128: 80},
           "mlp": {1: 2, 8: 2, 128: 3}}


def is_djl_side(side):
    return side in ("library", "library-nocl", "library-unfused", "plain", "plain-autocast",
                    "djl")


def torch_side_args(side):
    """The PyTorch side and its opt-in flags, e.g. torch-cl -> --side torch --channels-last."""
    base, *opt_ins = side.split("-")
    if opt_ins == ["all"]:
        opt_ins = list(TORCH_OPT_INS)
    return ["--side", base] + [TORCH_OPT_INS[o] for o in opt_ins]


class Config:
    """One process to run: what it measures, its command, and its estimated wall time."""

    def __init__(self, suite, model, side, variant, amp_level=None, gpus=1):
        self.suite, self.model, self.side = suite, model, side
        self.variant = variant  # the precision (train, multi) or the path (infer)
        self.amp_level = amp_level
        self.gpus = gpus
        self.id = "/".join([suite, model, side, variant + (f"-{amp_level}" if amp_level else "")]
                           + ([f"{gpus}gpu"] if suite == "multi" else []))

    def is_djl(self):
        return is_djl_side(self.side)

    def command(self, opts):
        if self.suite == "multi":
            args = ["--model", self.model, "--side", self.side, "--precision", self.variant,
                    "--gpus", str(self.gpus), "--batch", str(MULTI_BATCH[self.model]),
                    "--losses", "--seed", str(MULTI_SEED),
                    "--steps", str(opts.steps or TRAIN_STEPS[self.model]),
                    "--warmup", str(opts.warmup or TRAIN_WARMUP)]
        elif self.suite == "train":
            if self.is_djl():
                side = ["--side", "library", "--channels-last", "never"] \
                    if self.side == "library-nocl" else ["--side", self.side]
                args = ["--model", self.model] + side + ["--precision", self.variant]
                if self.amp_level:
                    args += ["--amp-level", self.amp_level]
            else:
                args = ["--model", self.model] + torch_side_args(self.side) + [
                    "--precision", self.variant]
                if opts.memory_trace and self.side.startswith("torch"):
                    args += ["--memory-trace"]
            args += ["--steps", str(opts.steps or TRAIN_STEPS[self.model]),
                     "--warmup", str(opts.warmup or TRAIN_WARMUP)]
        else:
            args = ["--model", self.model, "--path", self.variant,
                    "--batches", ",".join(str(b) for b in opts.batches)]
            if opts.iters:
                args += ["--iters", str(opts.iters)]
            if opts.warmup is not None:
                args += ["--warmup", str(opts.warmup)]
        if opts.smoke:
            args += ["--device", "cpu", "--tiny"]
        if self.is_djl():
            main = MAIN_PACKAGE + ("GpuInferBench" if self.suite == "infer" else "GpuTrainBench")
            return shlex.split(opts.java_cmd) + [
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", main] + args
        script = "train_torch.py" if self.suite == "train" else "infer_torch.py"
        return [opts.python, os.path.join(PYTHON_DIR, script)] + args

    def estimate_s(self, opts):
        start = START_S[self.side] + BUILD_S[self.model]
        if self.suite in ("train", "multi"):
            full, half = STEP_MS[self.model]
            ms = full if self.variant == "32-true" else half
            if self.suite == "multi":
                ms *= MULTI_BATCH[self.model] / GPU_BATCH[self.model] / self.gpus
            steps = (opts.steps or TRAIN_STEPS[self.model]) + (opts.warmup or TRAIN_WARMUP)
            return start + steps * ms / 1e3
        total = 0.0
        for b in opts.batches:
            n = opts.iters or (200 if b <= 1 else 100 if b <= 8 else 30)
            ms = CALL_MS[self.model].get(b, CALL_MS[self.model][128] * b / 128)
            total += (n + (10 if opts.warmup is None else opts.warmup) + 1) * ms / 1e3
        return start + total


def plan(opts):
    configs = []
    for suite in opts.suites:
        for model in opts.models:
            if suite == "train":
                for precision in PRECISIONS:
                    for side, only in TRAIN_SIDES:
                        if only is None or precision in only:
                            configs.append(Config("train", model, side, precision))
                    for extra, level in LIBRARY_EXTRA:
                        if extra == precision:
                            configs.append(Config("train", model, "library", extra, level))
            elif suite == "multi":
                for side, precisions in MULTI_SIDES:
                    for precision in precisions:
                        for gpus in (1, MULTI_GPUS):
                            configs.append(Config("multi", model, side, precision, gpus=gpus))
            elif model in INFER_MODELS:
                for side, paths in INFER_PATHS.items():
                    for path in paths:
                        configs.append(Config("infer", model, side, path))
    if opts.only:
        configs = [c for c in configs if re.search(opts.only, c.id)]
    if opts.exclude:
        configs = [c for c in configs if not re.search(opts.exclude, c.id)]
    return configs


VISIBLE_GPUS = os.environ.get("CUDA_VISIBLE_DEVICES") or None


class MemorySampler:
    """The highest nvidia-smi memory.used (MiB) of each GPU seen while a process runs: a thread
    queries nvidia-smi about every 50 ms (one query at a time, so slower if a query takes longer;
    the caching allocators of both sides hold their memory, so the peak is a plateau). `peak` is
    the highest over the GPUs, `peaks` one per GPU."""

    INTERVAL_S = 0.05

    def __init__(self):
        self.available = shutil.which("nvidia-smi") is not None
        self.peaks = None
        self.samples = 0
        self._stop = threading.Event()
        self._thread = None

    @property
    def peak(self):
        return max(self.peaks) if self.peaks else None

    @staticmethod
    def query(fields, gpu="0"):
        command = ["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader"]
        out = subprocess.run(command + (["-i", gpu] if gpu is not None else []),
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip()

    def used_now(self):
        """memory.used of every GPU this run may use, in MiB, or None: the ones CUDA_VISIBLE_DEVICES
        names (with CUDA_DEVICE_ORDER=PCI_BUS_ID, nvidia-smi's order), so that two runs on two GPUs
        of one machine each see their own, or all of them."""
        if not self.available:
            return None
        try:
            return [int(line.split()[0])
                    for line in self.query("memory.used", VISIBLE_GPUS).splitlines()]
        except (ValueError, IndexError, subprocess.SubprocessError):
            return None

    def start(self):
        self.peaks, self.samples = None, 0
        if not self.available:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.is_set():
            began = time.monotonic()
            values = self.used_now()
            if values is not None:
                self.samples += 1
                self.peaks = values if self.peaks is None else \
                    [max(a, b) for a, b in zip(self.peaks, values)]
            self._stop.wait(max(0.0, self.INTERVAL_S - (time.monotonic() - began)))

    def stop(self):
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=35)
        self._thread = None


ERROR_LINE = re.compile(r"(Error|Exception|terminate called|Aborted|Killed|FATAL|SIGSEGV|"
                        r"core dumped|Traceback)")


def error_line(lines, returncode, timed_out, timeout):
    """The most telling line of a process that printed no RESULT (or a FAILED one)."""
    if timed_out:
        prefix = f"timed out after {timeout:.0f} s"
    else:
        prefix = f"exit code {returncode}"
    for line in reversed(lines):
        if ERROR_LINE.search(line) and not line.startswith("RESULT "):
            return f"{prefix}: {line.strip()[:400]}"
    tail = [line.strip() for line in lines if line.strip()]
    return f"{prefix}: {tail[-1][:400]}" if tail else prefix


def run_one(config, opts, log, sampler, seconds_left):
    cmd = config.command(opts)
    estimate = config.estimate_s(opts)
    # never past the hard limit: the outputs written so far must come back
    timeout = max(1.0, min(opts.timeout or max(120.0, 4 * estimate), seconds_left))
    log.write(f"\n===== {config.id}\n$ {shlex.join(cmd)}\n")
    log.flush()
    baseline = sampler.used_now()
    env = dict(os.environ, PYTHONUNBUFFERED="1", DJL_OFFLINE="true", OPT_OUT_TRACKING="true")
    lines = []
    started = time.monotonic()
    sampler.start()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace",
                            start_new_session=True)

    def pump():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            log.write(line)
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join(timeout=10)
    wall = time.monotonic() - started
    sampler.stop()
    log.write(f"===== {config.id}: exit {proc.returncode}, {wall:.1f} s, peak memory.used "
              f"{sampler.peaks} MiB per GPU ({sampler.samples} samples), before {baseline} MiB\n")
    log.flush()
    result = None
    for line in lines:
        if line.startswith("RESULT "):
            try:
                result = json.loads(line[len("RESULT "):])
            except ValueError:
                pass
    entry = {"id": config.id, "suite": config.suite, "model": config.model, "side": config.side,
             "variant": config.variant, "amp_level": config.amp_level, "gpus": config.gpus,
             "command": shlex.join(cmd),
             "estimate_s": round(estimate, 1), "wall_s": round(wall, 1),
             "peak_mib": sampler.peak, "peak_mib_per_gpu": sampler.peaks,
             "memory_samples": sampler.samples,
             "baseline_mib": baseline, "result": result}
    if result is not None and result.get("status") == "OK" and not timed_out:
        entry["status"] = "OK"
        if proc.returncode != 0:
            # the figures stand; a crash while shutting down is still worth a note
            entry["exit_note"] = error_line(lines, proc.returncode, False, timeout)
    else:
        entry["status"] = "FAILED"
        if result is not None and result.get("error") and not timed_out:
            entry["error"] = result["error"]
        else:
            entry["error"] = error_line(lines, proc.returncode, timed_out, timeout)
    return entry


# ---------------------------------------------------------------------------------------------
# reports


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.{digits}f}"
    return str(value)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def note(entry):
    if entry["status"] == "OK":
        r = entry["result"]
        bits = []
        detail = r.get("path_detail") if entry["suite"] == "infer" else r.get("path")
        if detail:
            bits.append(detail)
        if r.get("steps_skipped"):
            bits.append(f"{r['steps_skipped']} of {r.get('steps_total')} steps skipped")
        if r.get("final_loss") is not None and r["final_loss"] != r["final_loss"]:
            bits.append("loss NaN")
        if entry.get("exit_note"):
            bits.append("after its RESULT: " + entry["exit_note"])
        return "; ".join(bits).replace("|", "\\|")
    return f"**{entry['status']}**: {entry.get('error', '')}".replace("|", "\\|")


def describe_models(model, rows):
    """The models' descriptions, DJL's first, each once."""
    seen = []
    for djl in (True, False):
        for e in rows:
            text = (e.get("result") or {}).get("describe")
            if text and is_djl_side(e["side"]) == djl and text not in seen:
                seen.append(text)
    return "; ".join(seen) or model


def phases(result):
    """PyTorch's per-phase peaks (train_torch.py --memory-trace), else '-'."""
    trace = result.get("memory_phases_mib")
    if not trace:
        return "-"
    return " / ".join(fmt(trace.get(k), 0) for k in ("forward", "backward", "step"))


def train_table(model, entries):
    rows = [e for e in entries if e["suite"] == "train" and e["model"] == model]
    if not rows:
        return ""

    def ok(side, precision, level=None):
        for e in rows:
            if (e["side"], e["variant"], e["amp_level"], e["status"]) == (side, precision, level,
                                                                           "OK"):
                return e
        return None

    def speed(e):
        return e["result"]["samples_per_s"] if e else None

    def mem(e):
        return e["peak_mib"] if e else None

    describe = describe_models(model, rows)
    batch = next((e["result"].get("batch") for e in rows if e["result"]
                  and e["result"].get("batch")), "?")
    out = [f"\n### Training: {model} ({describe}), batch {batch}\n",
           "| side | precision | ms/step | samples/s | peak MiB | vs PyTorch eager | "
           "vs PyTorch fused | vs PyTorch all opt-ins | vs Lightning | vs plain DJL (speed) | "
           "vs plain DJL (memory) | x 32-true (speed, same side) | x 32-true (memory, same side) | "
           "PyTorch allocated peak MiB (forward / backward / step) | notes |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for e in rows:
        precision, level, side = e["variant"], e["amp_level"], e["side"]
        label = precision + (f", amp_level {level}" if level else "")
        if e["status"] != "OK":
            out.append(f"| {side} | {label} | - | - | {fmt(e['peak_mib'])} | | | | | | | | | | "
                       f"{note(e)} |")
            continue
        r = e["result"]
        s = r["samples_per_s"]
        plain = None
        if side in ("library", "library-nocl", "library-unfused"):
            plain = ok("plain", "32-true") if precision == "32-true" else \
                ok("plain-autocast", precision)
        base_side = {"plain-autocast": "plain", "library-unfused": "library",
                     "library-nocl": "library"}.get(side, side)
        base = ok(base_side, "32-true")
        same_side_32 = precision != "32-true" or level
        out.append("| " + " | ".join([
            side, label, fmt(r["ms_per_step"]), fmt(s), fmt(e["peak_mib"]),
            fmt(ratio(s, speed(ok("torch", precision)))) if side != "torch" else "1",
            fmt(ratio(s, speed(ok("torch-fused", precision)))) if side != "torch-fused" else "1",
            fmt(ratio(s, speed(ok("torch-all", precision)))) if side != "torch-all" else "1",
            fmt(ratio(s, speed(ok("lightning", precision)))) if side != "lightning" else "1",
            fmt(ratio(s, speed(plain))) if plain else "-",
            fmt(ratio(e["peak_mib"], mem(plain))) if plain else "-",
            fmt(ratio(s, speed(base))) if same_side_32 else "1",
            fmt(ratio(e["peak_mib"], mem(base))) if same_side_32 else "1",
            phases(r),
            note(e)]) + " |")
    return "\n".join(out) + "\n"


def infer_table(model, entries):
    rows = [e for e in entries if e["suite"] == "infer" and e["model"] == model]
    if not rows:
        return ""

    def batch_row(side, path, batch):
        for e in rows:
            if (e["side"], e["variant"], e["status"]) == (side, path, "OK"):
                for b in e["result"].get("batches", []):
                    if b["batch"] == batch:
                        return b
        return None

    def speed(b):
        return b["samples_per_s"] if b else None

    describe = describe_models(model, rows)
    out = [f"\n### Inference: {model} ({describe})\n",
           "| batch | side | path | median ms | p99 ms | samples/s | peak MiB (process) | "
           "x fp32 (same side) | vs PyTorch same path | vs DJL fp32 | max abs diff to fp32 "
           "(relative to max abs) | notes |",
           "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    batches = sorted({b["batch"] for e in rows if e["status"] == "OK"
                      for b in e["result"].get("batches", [])})
    for batch in batches:
        for e in rows:
            if e["status"] != "OK":
                continue
            b = batch_row(e["side"], e["variant"], batch)
            if b is None:
                continue
            side, path = e["side"], e["variant"]
            diff = f"{b['max_abs_diff']:.3g} ({ratio(b['max_abs_diff'], b['max_abs_ref']) or 0:.2g})"
            out.append("| " + " | ".join([
                str(batch), side, path, fmt(b["median_ms"], 3), fmt(b["p99_ms"], 3),
                fmt(b["samples_per_s"]), fmt(e["peak_mib"]),
                fmt(ratio(speed(b), speed(batch_row(side, "fp32", batch)))),
                fmt(ratio(speed(b), speed(batch_row("torch", path, batch))))
                if side != "torch" else "-",
                fmt(ratio(speed(b), speed(batch_row("djl", "fp32", batch))))
                if side != "djl" or path != "fp32" else "1",
                diff, note(e)]) + " |")
    for e in rows:
        if e["status"] != "OK":
            out.append(f"| all | {e['side']} | {e['variant']} | - | - | - | "
                       f"{fmt(e['peak_mib'])} | | | | | {note(e)} |")
    return "\n".join(out) + "\n"


def multi_table(model, entries):
    """Scaling and loss trajectories, one GPU against several, same global batch and seed."""
    rows = [e for e in entries if e["suite"] == "multi" and e["model"] == model]
    if not rows:
        return ""

    def ok(side, precision, gpus):
        for e in rows:
            if (e["side"], e["variant"], e["gpus"], e["status"]) == (side, precision, gpus, "OK"):
                return e
        return None

    def trajectory_gap(losses, reference):
        """Largest |difference| of the losses, step by step, relative to the reference's loss."""
        pairs = list(zip(losses, reference))
        if not pairs:
            return None
        return max(abs(a - b) / max(abs(b), 1e-12) for a, b in pairs)

    def speed(e):
        return e["result"]["samples_per_s"] if e else None

    one_32 = ok("library", "32-true", 1)
    out = [f"\n### Several GPUs: {model} ({describe_models(model, rows)}), global batch "
           f"{MULTI_BATCH[model]}, seed {MULTI_SEED}\n",
           "| side | precision | GPUs | ms/step | samples/s | scaling (x 1 GPU, same side and "
           "precision) | peak MiB per GPU | first loss | final loss | largest relative loss gap "
           "to 1 GPU, step by step | same on 1 GPU: gap to library 32-true | notes |",
           "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for e in rows:
        side, precision, gpus = e["side"], e["variant"], e["gpus"]
        if e["status"] != "OK":
            out.append(f"| {side} | {precision} | {gpus} | - | - | | "
                       f"{e.get('peak_mib_per_gpu') or '-'} | | | | | {note(e)} |")
            continue
        r = e["result"]
        one = ok(side, precision, 1)
        losses = r.get("losses") or []
        reference = (one["result"].get("losses") or []) if one else []
        precision_gap = trajectory_gap(losses, one_32["result"].get("losses") or []) \
            if one_32 and gpus == 1 and e is not one_32 else None
        out.append("| " + " | ".join([
            side, precision, str(gpus), fmt(r["ms_per_step"]), fmt(r["samples_per_s"]),
            fmt(ratio(speed(e), speed(one))) if gpus != 1 else "1",
            ", ".join(str(v) for v in (e.get("peak_mib_per_gpu") or [])[:max(gpus, 1)]) or "-",
            f"{losses[0]:.6g}" if losses else "-", f"{r['final_loss']:.6g}",
            f"{trajectory_gap(losses, reference):.2e}" if gpus != 1 and reference else "-",
            f"{precision_gap:.2e}" if precision_gap is not None else "-",
            note(e)]) + " |")
    return "\n".join(out) + "\n"


def report(entries, header):
    parts = [header]
    for model in MODELS:
        parts.append(train_table(model, entries))
    for model in MODELS:
        parts.append(infer_table(model, entries))
    for model in MODELS:
        parts.append(multi_table(model, entries))
    return "".join(p for p in parts if p)


def write_outputs(opts, entries, header):
    md = report(entries, header)
    with open(os.path.join(opts.out, f"{opts.tag}.json"), "w") as f:
        json.dump({"header": header, "entries": entries}, f, indent=1)
    with open(os.path.join(opts.out, f"{opts.tag}.md"), "w") as f:
        f.write(md)
    return md


# ---------------------------------------------------------------------------------------------


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--suites", default="train",
                   help="comma-separated: train, infer, multi (1 against 2 GPUs)")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: mlp,resnet50,bert")
    p.add_argument("--only", help="regex: run only configurations whose id matches "
                                  "(ids look like train/resnet50/library/16-mixed-O2)")
    p.add_argument("--exclude", help="regex: leave out configurations whose id matches")
    p.add_argument("--steps", type=int, help="timed training steps (default per model: "
                                             + ", ".join(f"{k} {v}" for k, v in TRAIN_STEPS.items()) + ")")
    p.add_argument("--warmup", type=int, help=f"warm-up steps or calls (default {TRAIN_WARMUP} "
                                              "steps, 10 calls)")
    p.add_argument("--batches", default=",".join(str(b) for b in INFER_BATCHES),
                   help="inference batch sizes")
    p.add_argument("--iters", type=int, help="timed inference calls per batch size")
    p.add_argument("--timeout", type=float, help="seconds per configuration (default: "
                                                 "4 x its estimate, at least 120)")
    p.add_argument("--budget-s", type=float,
                   help="skip a configuration whose estimate would end the run past this many "
                        "seconds (default 540, as a device call is cut at 600; none with --smoke)")
    p.add_argument("--hard-limit-s", type=float,
                   help="a configuration still running this many seconds after the start is "
                        "killed and reported FAILED (default 585; none with --smoke)")
    p.add_argument("--out", default=os.environ.get("OUT", "/tmp/gpu-bench-out"))
    p.add_argument("--tag", help="file name stem of the outputs (default: suites and models)")
    p.add_argument("--python", default=sys.executable or "python3")
    p.add_argument("--java-cmd", default="bash .device/run.sh",
                   help="how to start a Java main (default: %(default)s)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny models on the CPU (--device cpu --tiny), 1 warm-up and 2 steps or "
                        "calls, batches 1,2: checks the harness, measures nothing")
    p.add_argument("--memory-trace", action="store_true",
                   help="PyTorch eager sides: one extra untimed step reporting the peak allocated "
                        "memory after forward, backward and optimizer step")
    p.add_argument("--dry-run", action="store_true", help="print the plan and estimates only")
    opts = p.parse_args(argv)
    opts.suites = [s for s in opts.suites.split(",") if s]
    opts.models = [m for m in opts.models.split(",") if m]
    bad = [s for s in opts.suites if s not in ("train", "infer", "multi")] + \
          [m for m in opts.models if m not in MODELS]
    if bad:
        p.error(f"unknown suite or model {bad}; suites: train, infer, multi; "
                f"models: {', '.join(MODELS)}")
    if opts.smoke:
        opts.steps = opts.steps or 2
        opts.warmup = 1 if opts.warmup is None else opts.warmup
        opts.iters = opts.iters or 2
        opts.batches = "1,2" if opts.batches == ",".join(str(b) for b in INFER_BATCHES) \
            else opts.batches
    opts.batches = [int(b) for b in opts.batches.split(",")]
    unlimited = float("inf") if opts.smoke else None
    opts.budget_s = opts.budget_s or unlimited or 540.0
    opts.hard_limit_s = opts.hard_limit_s or unlimited or 585.0
    opts.tag = opts.tag or ("smoke-" if opts.smoke else "") + "-".join(opts.suites + opts.models)
    return opts


def main(argv):
    opts = parse(argv)
    configs = plan(opts)
    total = sum(c.estimate_s(opts) for c in configs)
    print(f"# {len(configs)} configurations, estimated {total:.0f} s ({total / 60:.1f} min) "
          f"of wall time plus the machine's start; budget {opts.budget_s:.0f} s")
    for c in configs:
        print(f"#   {c.id:45s} ~{c.estimate_s(opts):5.0f} s")
    if opts.dry_run:
        for c in configs:
            print("$ " + shlex.join(c.command(opts)))
        return 0
    os.makedirs(opts.out, exist_ok=True)
    sampler = MemorySampler()
    gpu = "; ".join(sampler.query("name,driver_version,memory.total,clocks.max.sm", None)
                    .splitlines()) if sampler.available else "no nvidia-smi (CPU run)"
    header = (f"## GPU benchmark {', '.join(opts.suites)}: {', '.join(opts.models)}\n\n"
              f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; GPU: {gpu}; "
              f"command: `python3 bench/device/gpu-bench.py {shlex.join(argv)}`\n")
    print(header)
    entries = []
    started = time.monotonic()
    with open(os.path.join(opts.out, f"{opts.tag}.log"), "w") as log:
        log.write(header)
        for i, c in enumerate(configs, 1):
            elapsed = time.monotonic() - started
            if elapsed + c.estimate_s(opts) > opts.budget_s:
                print(f"[{i}/{len(configs)}] {c.id}: SKIPPED (estimate "
                      f"{c.estimate_s(opts):.0f} s would pass the budget at {elapsed:.0f} s)")
                entries.append({"id": c.id, "suite": c.suite, "model": c.model, "side": c.side,
                                "variant": c.variant, "amp_level": c.amp_level,
                                "status": "SKIPPED", "error": "not run: time budget",
                                "peak_mib": None, "result": None})
                continue
            entry = run_one(c, opts, log, sampler, opts.hard_limit_s - elapsed - 5)
            entries.append(entry)
            r = entry["result"] or {}
            figure = (f"{r.get('ms_per_step', 0):.2f} ms/step" if c.suite != "infer"
                      else "; ".join(f"b{b['batch']} {b['median_ms']:.2f} ms"
                                     for b in r.get("batches", [])))
            print(f"[{i}/{len(configs)}] {c.id}: {entry['status']} "
                  f"{figure if entry['status'] == 'OK' else entry.get('error', '')} "
                  f"peak {entry['peak_mib']} MiB, {entry['wall_s']} s (est. {entry['estimate_s']})",
                  flush=True)
            write_outputs(opts, entries, header)
    md = write_outputs(opts, entries, header)
    print(md)
    failed = sum(1 for e in entries if e["status"] != "OK")
    print(f"# {len(entries) - failed} OK, {failed} FAILED or SKIPPED, "
          f"{time.monotonic() - started:.0f} s; outputs in {opts.out}/{opts.tag}.{{log,json,md}}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
