#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# parse-tap.py MACHINE LOG SECONDS END_MARKER: reads the console log of
# one testbed run (sections "### device D", "### program P", kselftest
# TAP, "### exit N", "### rmmod ok|failed") and prints one line per vireo
# test with the reference (Debian's kvm) result beside it, then
# "MACHINE: N passed, N failed, N skipped".  Exits 1 on any failure.
import re
import sys

machine, log_path, secs, end_marker = sys.argv[1:5]
try:
    text = open(log_path, errors="replace").read().replace("\r", "")
except OSError as e:
    print(f"not ok - {machine}: no console log ({e})")
    print(f"{machine}: 0 passed, 1 failed, 0 skipped")
    sys.exit(1)

tap = re.compile(r"^(ok|not ok) \d+ (.*?)(?:\s+#\s*(SKIP|skip)\b(.*))?$")
results = {}          # (device, program, test) -> "ok" | "not ok" | "skip"
order = []            # (program, test) in the order vireo ran them
problems = []
device = program = None
seen_tap = {}

for line in text.splitlines():
    if line.startswith("### device "):
        device = line.split()[2]
        continue
    if line.startswith("### program "):
        program = line.split()[2]
        seen_tap[(device, program)] = 0
        continue
    if line.startswith("### exit ") and program:
        code = int(line.split()[2])
        if code not in (0, 4) and device == "vireo":
            # 4 is kselftest's "skip"; failures show up as "not ok" too.
            if not any(k[0] == "vireo" and k[1] == program and v == "not ok"
                       for k, v in results.items()):
                key = (device, program, f"exits with status {code}")
                results[key] = "not ok"
                order.append((program, key[2]))
        if seen_tap.get((device, program)) == 0 and device == "vireo":
            key = (device, program, "printed no results")
            results[key] = "not ok"
            order.append((program, key[2]))
        program = None
        continue
    if line.startswith("### rmmod "):
        key = ("vireo", "module", "rmmod vireo")
        results[key] = "ok" if line.endswith("ok") else "not ok"
        order.append(("module", "rmmod vireo"))
        continue
    if line.startswith("### insmod vireo failed"):
        problems.append("insmod vireo.ko failed")
        continue
    m = tap.match(line)
    if m and device and program:
        seen_tap[(device, program)] += 1
        name = m.group(2).strip()
        status = "skip" if m.group(3) else m.group(1)
        results[(device, program, name)] = status
        if device == "vireo":
            order.append((program, name))

if re.search(r"BUG:|Oops|Kernel panic|Call Trace|WARNING: CPU|general protection fault", text):
    problems.append("the kernel oopsed or panicked (see the log)")
if end_marker not in text:
    problems.append("the run did not reach its end marker (hang, crash or timeout)")

passed = failed = skipped = 0
for program, name in order:
    status = results[("vireo", program, name)]
    ref = results.get(("kvm", program, name), "-")
    word = {"ok": "ok", "not ok": "not ok", "skip": "ok"}[status]
    extra = " # SKIP" if status == "skip" else ""
    print(f"{word} - {machine}: {program}: {name}{extra}  (kvm: {ref})")
    if status == "ok":
        passed += 1
    elif status == "skip":
        skipped += 1
    else:
        failed += 1
for p in problems:
    print(f"not ok - {machine}: {p} (log: {log_path})")
    failed += 1
if not order and not problems:
    print(f"not ok - {machine}: no test ran (log: {log_path})")
    failed += 1
print(f"# {machine}: {secs}s")
print(f"{machine}: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
