#!/usr/bin/env bash
# Print one interpreter per CPython 3.10-3.13 found on this machine (PATH or
# pyenv), skipping the version of the interpreter given as $1.
skip=$("${1:-python3}" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
for v in 3.10 3.11 3.12 3.13; do
  [ "$v" = "$skip" ] && continue
  for cand in "python$v" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      command -v "$cand"; break
    fi
  done
done
