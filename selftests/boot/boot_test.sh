#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots a stock Linux kernel with the vireo monitor and checks what the
# guest prints and how the monitor ends: power-off, reboot, a command
# typed into the guest shell over the serial console, and the one-line
# errors for bad input.  Prints TAP 13.
#
#   boot_test.sh VIREO KERNEL DEVICE [WORKDIR]
#
# VIREO is the monitor binary, KERNEL a bzImage (or PVH vmlinux), DEVICE
# /dev/vireo or /dev/kvm.  Needs a static busybox, cpio and gzip to build
# the guest's initramfs (in WORKDIR, default a fresh directory in /tmp).
# BOOT_TIMEOUT (seconds, default 180) bounds each guest run; under an
# emulated host a boot takes some 30 s.

set -u

VIREO=${1:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
KERNEL=${2:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
DEVICE=${3:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
WORK=${4:-$(mktemp -d /tmp/vireo-boot.XXXXXX)}
TIMEOUT=${BOOT_TIMEOUT:-180}
MEM=${BOOT_MEM:-256M}
MARK=VIREO-BOOT-TEST

n=0
failed=0

tap() {	# tap OK|FAIL description
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

diag_tail() {	# the end of a log as TAP diagnostics
	tail -n "${2:-15}" "$1" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
}

# The guest's /init: a marker, then what the command line asks for.
build_initramfs() {
	bb=$(command -v busybox) || return 1
	root=$WORK/root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" || return 1
	cp "$bb" "$root/bin/busybox" || return 1
	for a in sh mount cat echo poweroff reboot sleep uname; do
		ln -s busybox "$root/bin/$a"
	done
	cat > "$root/init" <<'EOI'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "VIREO-BOOT-TEST up $(uname -r)"
case "$(cat /proc/cmdline)" in
*boot_test=reboot*) echo "VIREO-BOOT-TEST rebooting"; reboot -f ;;
*boot_test=shell*) echo "VIREO-BOOT-TEST shell"; exec sh ;;
esac
echo "VIREO-BOOT-TEST powering off"
poweroff -f
EOI
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
		> "$WORK/initramfs.gz"
}

# run_guest NAME MODE [INPUT]: the monitor's status in $rc, output in
# $WORK/NAME.out, its stderr in $WORK/NAME.err.
run_guest() {
	name=$1 mode=$2 input=${3:-}
	start=$(date +%s)
	if [ -n "$input" ]; then
		# Typed once the shell is up; the UART holds what the guest has
		# not read yet.
		(sleep "${SHELL_DELAY:-5}"; printf '%s\n' "$input"; sleep 600) |
		timeout "$TIMEOUT" "$VIREO" run --kernel "$KERNEL" \
			--initrd "$WORK/initramfs.gz" --mem "$MEM" \
			--device "$DEVICE" \
			--cmdline "console=ttyS0 panic=-1 boot_test=$mode" \
			> "$WORK/$name.out" 2> "$WORK/$name.err"
		rc=$?
	else
		timeout "$TIMEOUT" "$VIREO" run --kernel "$KERNEL" \
			--initrd "$WORK/initramfs.gz" --mem "$MEM" \
			--device "$DEVICE" \
			--cmdline "console=ttyS0 panic=-1 boot_test=$mode" \
			< /dev/null > "$WORK/$name.out" 2> "$WORK/$name.err"
		rc=$?
	fi
	secs=$(( $(date +%s) - start ))
}

check_guest() {	# check_guest NAME DESCRIPTION EXPECTED_TEXT
	if [ "$rc" = 124 ]; then
		tap FAIL "$2: timed out after ${TIMEOUT}s"
		diag_tail "$WORK/$1.out"
	elif ! grep -q "$3" "$WORK/$1.out"; then
		tap FAIL "$2: no '$3' in the guest's output (status $rc)"
		diag_tail "$WORK/$1.out"
		diag_tail "$WORK/$1.err" 5
	elif [ "$rc" != 0 ]; then
		tap FAIL "$2: status $rc, expected 0"
		diag_tail "$WORK/$1.err" 5
	else
		tap OK "$2 (${secs}s)"
	fi
}

# expect_usage NAME ARGS...: status 2 and exactly one line on stderr.
expect_usage() {
	name=$1
	shift
	"$VIREO" "$@" < /dev/null > "$WORK/$name.out" 2> "$WORK/$name.err"
	rc=$?
	lines=$(wc -l < "$WORK/$name.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ]; then
		tap OK "$name: one line, status 2: $(cat "$WORK/$name.err")"
	else
		tap FAIL "$name: status $rc and $lines lines on stderr, expected 2 and 1"
		diag_tail "$WORK/$name.err" 5
	fi
}

echo "TAP version 13"
echo "1..10"
mkdir -p "$WORK"
if ! build_initramfs; then
	echo "Bail out! cannot build the guest initramfs (needs busybox, cpio, gzip)"
	exit 1
fi

run_guest poweroff poweroff
check_guest poweroff "boot to /init and power off on $DEVICE" "$MARK powering off"

run_guest reboot reboot
check_guest reboot "boot and reboot ends the monitor on $DEVICE" "$MARK rebooting"

run_guest shell shell "echo VIREO-SHELL-\$((6*7)); poweroff -f"
check_guest shell "a command typed into the guest shell on $DEVICE" "VIREO-SHELL-42"

expect_usage "bad option" run --kernel "$KERNEL" --no-such-option
expect_usage "missing kernel" run --kernel "$WORK/no-such-kernel" --device "$DEVICE"
expect_usage "not a bzImage" run --kernel "$WORK/initramfs.gz" --device "$DEVICE"
expect_usage "bad --mem" run --kernel "$KERNEL" --mem 12parsecs --device "$DEVICE"
expect_usage "memory that cannot be had" run --kernel "$KERNEL" --mem 900G --device "$DEVICE"
expect_usage "missing device" run --kernel "$KERNEL" --device "$WORK/no-such-device"
expect_usage "too many vCPUs" run --kernel "$KERNEL" --cpus 64 --device "$DEVICE"

echo "# $failed of $n failed; logs in $WORK"
[ "$failed" = 0 ]
