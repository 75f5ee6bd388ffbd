# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report on the controller: the HTML page (page.py) and the two files (files.py). The rows and the
summary are decided in module_utils/aml/fleet_report.py (pure)."""
