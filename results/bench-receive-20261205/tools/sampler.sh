#!/bin/sh
# every 5 s: epoch, core 1 /proc/stat fields, server cpuacct.usage (ns), nr_throttled
while :; do
  u=$(cat /sys/fs/cgroup/cpuacct/webarch/server/cpuacct.usage 2>/dev/null || echo 0)
  t=$(awk '/nr_throttled/{print $2}' /sys/fs/cgroup/cpu/webarch/server/cpu.stat 2>/dev/null || echo 0)
  echo "$(date +%s) $(grep '^cpu1 ' /proc/stat) $u $t"
  sleep 5
done
