"""Imports the route answer's modules from their mypyc build when there is one for these
sources (:mod:`accessibility_rules.mypyc_loading`)."""

from accessibility_rules.mypyc_loading import install as _install_mypyc_build

_install_mypyc_build()
