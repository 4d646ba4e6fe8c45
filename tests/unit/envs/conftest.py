"""Make the shared series fixtures importable and keep torch single-threaded for speed."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
torch.set_num_threads(1)
