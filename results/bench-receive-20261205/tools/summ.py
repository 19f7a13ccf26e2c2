import sys
# usage: summ.py LOG START_EPOCH END_EPOCH
rows=[l.split() for l in open(sys.argv[1])]
s,e=int(sys.argv[2]),int(sys.argv[3])
sel=[r for r in rows if s<=int(r[0])<=e]
a,b=sel[0],sel[-1]
f=lambda r:[int(x) for x in r[2:12]]
d=[y-x for x,y in zip(f(a),f(b))]; tot=sum(d)
names="user nice sys idle iowait irq softirq steal guest gnice".split()
print(" ".join(f"{n} {100*v/tot:.1f}" for n,v in zip(names,d) if n not in("guest","gnice","nice")),
      f"| cgroup {(int(b[12])-int(a[12]))/1e9/(int(b[0])-int(a[0])):.3f} core, throttled {int(b[13])-int(a[13])} periods over {int(b[0])-int(a[0])} s")
