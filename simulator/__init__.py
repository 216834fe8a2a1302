"""The built-in simulated AWS account (moto, in-process) for ``engine check --simulated``.

Demo and test support, not product code: see ``simulator.account``.
"""

from __future__ import annotations

from simulator.account import describe, known_fixes, simulated_account
from simulator.base import SIMULATED_REGIONS

__all__ = ["SIMULATED_REGIONS", "describe", "known_fixes", "simulated_account"]
