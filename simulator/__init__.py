"""The built-in simulated AWS account (moto, in-process) for ``engine check --simulated``.

Demo and test support, not product code: see ``simulator.account``.
"""

from __future__ import annotations

from simulator.account import SIMULATED_REGIONS, describe, simulated_account

__all__ = ["SIMULATED_REGIONS", "describe", "simulated_account"]
