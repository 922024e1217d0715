"""Kit tests import the probe service next to them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
