"""Device and process-group setup: CPU here, CUDA when present, DDP when started by torchrun.

torchrun sets WORLD_SIZE/RANK/LOCAL_RANK; with those present the same code trains with
DistributedDataParallel (nccl on CUDA, gloo on CPU) and no flag is needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_runtime(num_threads: int | None = None) -> Runtime:
    if num_threads is None:
        num_threads = int(os.environ.get("LYMPHSCOPE_THREADS", "2"))
    torch.set_num_threads(num_threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    if cuda:
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    rank = dist.get_rank() if dist.is_initialized() else 0
    return Runtime(device, rank, world, local)


def barrier(rt: Runtime) -> None:
    if rt.distributed:
        dist.barrier()


def teardown(rt: Runtime) -> None:
    if rt.distributed and dist.is_initialized():
        dist.destroy_process_group()
