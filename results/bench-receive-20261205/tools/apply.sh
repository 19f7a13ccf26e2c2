#!/bin/sh
# threaded NAPI on every testbed veth end, threads joined to their host's cgroups, RPS off
set -e
for i in 1 2 3 4; do
  for side in "wp-server wp-s$i server" "wp-client$i wp-c$i client$i"; do
    set -- $side; ns=$1; dev=$2; host=$3
    ip netns exec $ns ethtool -K $dev gro on tso off
    ip netns exec $ns sh -c "echo 1 > /sys/class/net/$dev/threaded; echo 0 > /sys/class/net/$dev/queues/rx-0/rps_cpus"
    for c in /proc/[0-9]*/comm; do
      read -r name < $c || continue
      case $name in "napi/$dev-"*) p=${c#/proc/}; p=${p%/comm}
        for ctl in cpuset cpu cpuacct; do d=/sys/fs/cgroup/$ctl/webarch/$host; [ -d $d ] && echo $p > $d/cgroup.procs; done
        echo "$dev -> pid $p in $host";;
      esac
    done
  done
done
