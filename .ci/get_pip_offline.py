"""Stand-in for ansible-test's get-pip bootstrap script, for machines that reach PyPI but not ci-files.

ansible-test --venv bootstraps pip in each test venv with get-pip.py, fetched from
ci-files.testing.ansible.com. This does the same with the standard library's ensurepip, then installs the
requested pip from the package index, as get-pip.py would. ansible-test runs pip with a stripped
environment, so the CA bundle in force when `make sanity` started (@CA_BUNDLE@, filled in by the Makefile)
is written into the venv's own pip.conf.
"""

import ensurepip
import os
import subprocess
import sys

CA_BUNDLE = "@CA_BUNDLE@"
GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}

if CA_BUNDLE and os.path.exists(CA_BUNDLE):
    with open(os.path.join(sys.prefix, "pip.conf"), "w", encoding="utf-8") as config:
        config.write(f"[global]\ncert = {CA_BUNDLE}\n")
ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null in this process; the install below must read pip's config.
os.environ.pop("PIP_CONFIG_FILE", None)
arguments = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_FLAGS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *arguments]))
