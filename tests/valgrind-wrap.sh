#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The exe_wrapper of the 'valgrind' test setup: runs a test program under
# valgrind with the options given before "--", and runs a test that is a
# script as it is (valgrind would check the shell, not the project).
#   valgrind-wrap.sh VALGRIND-OPTION... -- PROGRAM [ARG]...
opts=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  opts="$opts $1"
  shift
done
[ "$1" = "--" ] && shift
if head -c 2 "$1" 2>/dev/null | grep -q '^#!'; then
  exec "$@"
fi
# shellcheck disable=SC2086
exec valgrind $opts "$@"
