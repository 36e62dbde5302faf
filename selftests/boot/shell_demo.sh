#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots a kernel with the vireo monitor to the busybox shell of the
# initramfs boot_test.sh --initramfs builds, types COMMANDS into its serial
# console one line at a time, and shows everything the guest prints.  The
# last command should end the guest (poweroff -f).  Exits with the
# monitor's status.  POSIX sh: it runs under busybox in the testbed.
#
#   shell_demo.sh VIREO KERNEL INITRD DEVICE COMMAND...
#
# DEMO_TIMEOUT (seconds, default 180) bounds the whole run.  For other
# guests (make demo's virtio part): DEMO_CMDLINE (the kernel command
# line), DEMO_READY (the line that says the shell is up) and DEMO_OPTS
# (more monitor options, words without spaces).

set -u
trap '' PIPE

VIREO=${1:?usage: shell_demo.sh VIREO KERNEL INITRD DEVICE COMMAND...}
KERNEL=${2:?usage: shell_demo.sh VIREO KERNEL INITRD DEVICE COMMAND...}
INITRD=${3:?usage: shell_demo.sh VIREO KERNEL INITRD DEVICE COMMAND...}
DEVICE=${4:?usage: shell_demo.sh VIREO KERNEL INITRD DEVICE COMMAND...}
shift 4
TIMEOUT=${DEMO_TIMEOUT:-180}
CMDLINE=${DEMO_CMDLINE:-console=ttyS0 quiet panic=-1 boot_test=shell}
READY=${DEMO_READY:-VIREO-BOOT-TEST shell}

work=$(mktemp -d "${TMPDIR:-/tmp}/vireo-demo.XXXXXX") || exit 2
mkfifo "$work/console" || exit 2
: > "$work/out"

# The guest's output goes to ours and to a file the typing side watches.
timeout "$TIMEOUT" "$VIREO" run --kernel "$KERNEL" --initrd "$INITRD" \
	--mem 256M --device "$DEVICE" --cmdline "$CMDLINE" ${DEMO_OPTS:-} \
	< "$work/console" > "$work/out" 2>&1 &
pid=$!
exec 3> "$work/console"
tail -f "$work/out" &
tailpid=$!

# Wait for the shell, then type one command a line, each after the
# previous one's prompt came back (the UART would hold them anyway).
waited=0
while ! grep -q "$READY" "$work/out" && kill -0 "$pid" 2>/dev/null &&
      [ "$waited" -lt "$TIMEOUT" ]; do
	sleep 1
	waited=$((waited + 1))
done
sleep 2
for cmd in "$@"; do
	prompts=$(grep -c '# ' "$work/out")
	printf '%s\n' "$cmd" >&3 2>/dev/null
	w=0
	while [ "$(grep -c '# ' "$work/out")" -le "$prompts" ] &&
	      kill -0 "$pid" 2>/dev/null && [ "$w" -lt 60 ]; do
		sleep 1
		w=$((w + 1))
	done
done
wait "$pid"
rc=$?
exec 3>&-
sleep 1
kill "$tailpid" 2>/dev/null
wait "$tailpid" 2>/dev/null
rm -rf "$work"
exit "$rc"
