"""Generation throughput with 1 and 2 workers on the local and Ray backends, and the speed-ups.

    RAY_AUTH_MODE=disabled OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/scaling.py \\
        [--states 1500] [--llm-states 200] [--repeats 3] [--ray_address ADDR]

Two workloads, each run through `run_generation` exactly as `proact generate`
runs it, on the same states (same seeds):

- ``synthetic``: the scripted backbone, multi-turn with lookahead 2 (CPU-bound);
- ``llm-50ms``: one-step generation whose assistant turns come from an
  OpenAI-compatible server on 127.0.0.1 that answers after 50 ms
  (`StubOpenAIServer(delay=0.05)`, in its own process so it does not share the
  driver's interpreter lock), cache off (I/O-bound: 3 requests per state).

Four cells each: local with 1 worker (one state at a time), local with 2
(two threads: generate's only local parallelism), Ray with 1 and 2 actors (one
state at a time each; LLM requests bounded to the worker count across the run
by the shared limiter). Ray is started once, before any timing; actor start-up
is timed. Every cell's file must equal the local single-worker file byte for
byte. Prints states/s (median of `--repeats`; wall clock, and steady state after
the first state is written), the speed-ups, the driver's own ceiling, and a JSON
report with the per-worker figures the README's 64-worker estimate uses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from llm_throughput import start_server  # the sibling benchmark's server-in-a-subprocess starter

from proact_env.distributed.config import ExecutorConfig
from proact_env.distributed.executor import PerProcess, open_executor
from proact_env.io import UnitWriter
from proact_env.llm.backbone import LLMBackbone
from proact_env.llm.config import LLMConfig
from proact_env.rollout.generate import GenerationConfig, UnitGenerator, plan_units, run_generation

CELLS = (("local", 1), ("local", 2), ("ray", 1), ("ray", 2))


@dataclass(frozen=True)
class Workload:
    name: str
    states: int
    multi_turn: bool
    lookahead: int
    llm: LLMConfig | None


@dataclass(frozen=True)
class Timing:
    seconds: float  # the whole run, worker start-up included
    startup: float  # until the first state was written (actors started, clients and envs built)
    steady_states_per_s: float  # from the first state written to the last


def generation_config(workload: Workload, out: Path, concurrency: int = 1) -> GenerationConfig:
    return GenerationConfig(out=out, n_states=workload.states, multi_turn=workload.multi_turn, max_turns=4,
                            lookahead=workload.lookahead, seed=7, concurrency=concurrency, overwrite=True)


def driver_ceiling(workload: Workload, out: Path) -> float:
    """States/s the driver alone can take in, however many workers feed it.

    Unpickling each state's records (as Ray hands them over), turning them into
    JSON lines and writing them with the `UnitWriter` are the driver's work per
    state (Ray's own ~1 ms per task is spread over the states `TaskSizer` groups
    into a task).
    """
    config = generation_config(workload, out)
    units = plan_units(config)
    generator = UnitGenerator(config)
    shipped = [pickle.dumps(generator.run(unit)) for unit in units]  # the workers' part: not timed
    started = time.perf_counter()
    with UnitWriter(config.out, overwrite=True) as writer:
        for unit, lines in zip(units, shipped):
            writer.write_unit(unit.index, [line.to_dict() for line in pickle.loads(lines)])
    return len(units) / (time.perf_counter() - started)


def run_cell(workload: Workload, backend: str, workers: int, out: Path) -> tuple[Timing, str]:
    """The timing and sha256 of the file of one generation; `workers` states in flight, on threads or actors."""
    config = generation_config(workload, out, concurrency=workers)
    backbone = PerProcess(partial(LLMBackbone.from_config, workload.llm)) if workload.llm else None
    generator = UnitGenerator(config, backbone_factory=backbone)
    executor_config = ExecutorConfig(backend=backend, workers=1 if backend == "local" else workers)
    written: list[float] = []
    started = time.perf_counter()
    with open_executor(executor_config, concurrency=workers,
                       request_limit=workers if workload.llm and backend == "ray" else None) as executor:
        run_generation(config, generator, executor=executor, progress=lambda _: written.append(time.perf_counter()))
    elapsed = time.perf_counter() - started
    timing = Timing(elapsed, written[0] - started, (len(written) - 1) / (written[-1] - written[0]))
    return timing, hashlib.sha256(out.read_bytes()).hexdigest()


def measure(workload: Workload, repeats: int, tmp: Path, cells: tuple[tuple[str, int], ...] = CELLS) -> dict:
    """Every cell's figures (medians of `repeats`), checking every file equals the first.

    Each repeat runs all the cells one after the other, so a change in the
    machine's other load during the measurement falls on every cell alike.
    """
    reference, timings = None, {cell: [] for cell in cells}
    for _ in range(repeats):
        for backend, workers in cells:
            timing, digest = run_cell(workload, backend, workers, tmp / f"{workload.name}.jsonl")
            reference = reference or digest
            if digest != reference:
                raise AssertionError(f"{workload.name} {backend} x{workers}: output differs from the local run's")
            timings[backend, workers].append(timing)
            print(f"  {workload.name:<10} {backend:<6} x{workers}  {workload.states / timing.seconds:8.1f} states/s "
                  f"(steady {timing.steady_states_per_s:.1f}, start-up {timing.startup:.2f} s)", file=sys.stderr, flush=True)
    figures = {}
    for (backend, workers), runs in timings.items():
        seconds = statistics.median(t.seconds for t in runs)
        figures[f"{backend} x{workers}"] = {
            "seconds": round(seconds, 3),
            "states_per_s": round(workload.states / seconds, 1),
            "startup_s": round(statistics.median(t.startup for t in runs), 3),
            "steady_states_per_s": round(statistics.median(t.steady_states_per_s for t in runs), 1),
        }
    for key in ("states_per_s", "steady_states_per_s"):
        base = figures["local x1"][key]
        for cell in figures.values():
            cell[key.replace("states_per_s", "speedup")] = round(cell[key] / base, 2)
    result = {"states": workload.states, "multi_turn": workload.multi_turn, "lookahead": workload.lookahead,
              "cells": figures, "identical_outputs": True}
    if "ray x2" in figures:
        result["ray_x2_over_ray_x1"] = round(figures["ray x2"]["states_per_s"] / figures["ray x1"]["states_per_s"], 2)
        result["ray_x2_over_ray_x1_steady"] = round(figures["ray x2"]["steady_states_per_s"]
                                                    / figures["ray x1"]["steady_states_per_s"], 2)
    return result


def print_table(report: dict) -> None:
    """Wall-clock figures (start-up included) and steady-state ones (after the first state), with speed-ups vs local x1."""
    print(f"{'workload':<10} {'backend':<7} {'workers':>7} {'states/s':>9} {'speed-up':>9} {'start-up':>9} "
          f"{'steady/s':>9} {'speed-up':>9}")
    for name, result in report["workloads"].items():
        for cell, f in result["cells"].items():
            backend, workers = cell.split(" x")
            print(f"{name:<10} {backend:<7} {workers:>7} {f['states_per_s']:>9.1f} {f['speedup']:>8.2f}x "
                  f"{f['startup_s']:>8.2f}s {f['steady_states_per_s']:>9.1f} {f['steady_speedup']:>8.2f}x")
        if "ray_x2_over_ray_x1" in result:
            print(f"{name:<10} Ray 2 workers / 1 worker: {result['ray_x2_over_ray_x1']:.2f}x wall, "
                  f"{result['ray_x2_over_ray_x1_steady']:.2f}x steady")
        print(f"{name:<10} every file identical to the local x1 run's")
    print(f"driver ceiling (unpickle, to JSON lines, write; synthetic states): "
          f"{report['workloads']['synthetic']['driver_ceiling_states_per_s']:.0f} states/s")


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", type=int, default=1500, help="synthetic states (default: %(default)s)")
    parser.add_argument("--llm-states", type=int, default=200, help="states against the 50 ms server (default: %(default)s)")
    parser.add_argument("--delay", type=float, default=0.05, help="server latency, seconds (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per cell; medians are reported "
                                                                "(default: %(default)s)")
    parser.add_argument("--ray_address", default=None, help="an existing Ray cluster (default: start one, 2 CPUs)")
    parser.add_argument("--backends", default="local,ray",
                        help="comma-separated backends to measure; 'local' alone needs no Ray (default: %(default)s)")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if "local" not in backends or not set(backends) <= {"local", "ray"}:
        parser.error("--backends must include local (the reference every cell is compared with), and ray or nothing else")
    cells = tuple(cell for cell in CELLS if cell[0] in backends)

    use_ray = "ray" in backends
    if use_ray:
        import ray

        ray.init(address=args.ray_address, **({} if args.ray_address else {"num_cpus": 2, "include_dashboard": False}),
                 log_to_driver=False)
    process, base_url = start_server(args.delay)
    try:
        workloads = [
            Workload("synthetic", args.states, multi_turn=True, lookahead=2, llm=None),
            Workload("llm-50ms", args.llm_states, multi_turn=False, lookahead=0,
                     llm=LLMConfig(provider="openai", model="stub-model", base_url=base_url, cache_mode="off",
                                   max_tokens=32)),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            results = {w.name: measure(w, args.repeats, Path(tmp), cells) for w in workloads}
            ceiling = driver_ceiling(workloads[0], Path(tmp) / "ceiling.jsonl")
        results["synthetic"]["driver_ceiling_states_per_s"] = round(ceiling, 1)
    finally:
        process.terminate()
        process.wait(10)
        if use_ray:
            ray.shutdown()
    report = {"cpu_count": os.cpu_count(), "load_average_1min_after": round(os.getloadavg()[0], 2),
              "server_delay_s": args.delay, "repeats": args.repeats, "workloads": results}
    print_table(report)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
