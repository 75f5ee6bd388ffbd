# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wait options of modules that start long-running Azure operations."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait for Azure to finish the operation. With V(false) the task returns once Azure has accepted it.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds the task may wait for Azure, counted from its first wait; every wait of the task (a running
        operation it meets, a provider registration, its own operation) shares them. On timeout the task fails and
        says what Azure last reported; the operation itself goes on in Azure, and running the task again picks it up.
      - Between polls the module waits as long as Azure's C(Retry-After) asks.
    type: int
    default: 1800
"""
