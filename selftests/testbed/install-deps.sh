#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs, with apt, what building and testing Vireo needs on Debian 12.
# Quick when everything is there already; run as root (or with sudo).
set -euo pipefail

packages=(
	# building the module and the programs
	gcc make libc6-dev libelf-dev kmod xz-utils python3
	linux-headers-amd64
	# host unit tests and fuzzers
	clang libclang-rt-14-dev
	# the emulated AMD-V machine and what boots in it
	qemu-system-x86 linux-image-amd64 busybox-static cpio gzip
	# kselftest headers, extracted at build time
	linux-source-6.1
	# the emulated VT-x machine
	bochs bochsbios bochs-term vgabios grub-pc-bin grub-common xorriso mtools
)

missing=()
for p in "${packages[@]}"; do
	case "$p" in \#*) continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "install-deps: missing packages (${missing[*]}); run as root or install sudo" >&2
		exit 2
	fi
	sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -q >/dev/null &&
       $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }; then
	echo "install-deps: apt-get could not install ${missing[*]}; check the apt sources and try again" >&2
	exit 2
fi
