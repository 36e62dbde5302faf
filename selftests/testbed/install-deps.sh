#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# install-deps.sh: installs, with apt, every Debian 12 package that building
# and testing Vireo needs (make deps).  Quick and silent when all of them are
# present: it asks dpkg first and runs apt-get update only when something is
# missing.  Non-interactive; run it as root (CI does) or with sudo at hand.
# Exits 2 with one line on stderr when it cannot install.
set -euo pipefail

# Building the module (kbuild against Debian's headers) and the programs.
build_pkgs=(make gcc libc6-dev libelf-dev kmod linux-headers-amd64)
# Host unit tests: ASan/UBSan with gcc, libFuzzer smoke runs with clang.
unit_pkgs=(clang libclang-rt-14-dev)
# kselftest.h and kselftest_harness.h come out of the kernel source tarball.
selftest_pkgs=(linux-source-6.1 xz-utils)
# The AMD-V testbed: QEMU without acceleration booting Debian's kernel from
# a busybox initramfs; the kernel's own modules (kvm_amd) are the reference.
qemu_pkgs=(qemu-system-x86 linux-image-amd64 busybox-static cpio gzip coreutils)
# The VT-x testbed: Bochs (VMX with EPT) has no direct kernel boot, so the
# kernel and initramfs go on a GRUB CD image made by grub-mkrescue.
bochs_pkgs=(bochs bochs-term bochsbios vgabios grub-pc-bin grub-common xorriso mtools)

# The virtio cases and benchmark: ext4 images made with mke2fs -d and read
# back with debugfs; fio and iperf3 run in the nested guest.
virtio_pkgs=(e2fsprogs fio iperf3)

want=("${build_pkgs[@]}" "${unit_pkgs[@]}" "${selftest_pkgs[@]}"
      "${qemu_pkgs[@]}" "${bochs_pkgs[@]}" "${virtio_pkgs[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: this is not a Debian system (no dpkg-query); install by hand: ${want[*]}" >&2
	exit 2
fi

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = "ii" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-deps: missing ${missing[*]}; run make deps as root (apt-get install ${missing[*]})" >&2
		exit 2
	fi
	as_root=(sudo -n)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
log=$(mktemp /tmp/vireo-install-deps.XXXXXX)
if "${as_root[@]}" apt-get "${apt_opts[@]}" update >"$log" 2>&1 &&
   "${as_root[@]}" apt-get "${apt_opts[@]}" install --no-install-recommends \
	"${missing[@]}" >>"$log" 2>&1 </dev/null; then
	rm -f "$log"
	exit 0
fi
echo "install-deps: apt-get could not install ${missing[*]} (see $log); check the apt sources and the network" >&2
exit 2
